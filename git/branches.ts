// Whether a commit is on the branches an environment takes (the refs policy's `from`): asked by
// `ferry start` before it starts anything, and by the promotion's activity on the worker.
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { parseActivityInput } from '../common/activity-input';
import { FailureType } from '../common/errors';
import { branchNameOk } from '../common/release-order-rules';
import { commitSha, credentialsEnvSchema, gitIn, gitReason, openRepository, redactCredentials, resolveInputSchema, rethrowIfCancelled } from './repository';

export const fullShaSchema = z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-character commit SHA');
const branch = z.string().max(200).refine(branchNameOk, 'must be a branch name');

const checkBranchesSchema = z.object({
  repo: resolveInputSchema.shape.repo,
  sha: fullShaSchema,
  branches: z.array(branch).min(1, 'must name a branch').max(20),
  credentialsEnv: credentialsEnvSchema,
});

export const shortSha = (sha: string) => sha.slice(0, 7);

export function notInRepo(repo: string, sha: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`commit ${sha} is not in ${redactCredentials(repo)}`, FailureType.UnknownRef);
}

/**
 * Whether `sha` is in the history of one of `branches` (git's ancestry: the branch tip contains
 * it), as the repository has them now: a remote one is fetched first, so a branch moved since the
 * last promotion counts. A branch the repository lacks is named in `why`, never an error: the
 * answer is still "not on an allowed branch".
 */
export async function checkBranches(input: { repo: string; sha: string; branches: string[]; credentialsEnv?: string }, signal?: AbortSignal): Promise<{ onBranch?: string; why?: string }> {
  const { repo, sha, branches, credentialsEnv } = parseActivityInput(checkBranchesSchema, input, 'checkBranches');
  const dir = await openRepository(repo, 'fetch', signal, credentialsEnv);
  if (!(await commitSha(dir, sha, signal).catch(() => undefined))) throw notInRepo(repo, sha);
  const git = gitIn(dir, signal);
  const present: string[] = [];
  for (const name of branches) {
    if (await commitSha(dir, `refs/heads/${name}`, signal).catch(() => undefined)) present.push(name);
  }
  const missing = branches.filter((name) => !present.includes(name));
  let containing: string[] = [];
  if (present.length > 0) {
    try {
      // --contains is ancestry (merge-base --is-ancestor) for every branch at once; a pattern also
      // matches refs below it (main/x), so only exact names count.
      const out = await git.raw(['for-each-ref', '--format=%(refname)', '--contains', sha, ...present.map((name) => `refs/heads/${name}`)]);
      const refs = new Set(out.split('\n').filter(Boolean));
      containing = present.filter((name) => refs.has(`refs/heads/${name}`));
    } catch (error) {
      rethrowIfCancelled(signal);
      throw new Error(`checking whether ${shortSha(sha)} is on ${present.join(', ')} in ${redactCredentials(repo)} failed: ${gitReason(error)}`);
    }
  }
  if (containing.length > 0) return { onBranch: containing[0] };
  const names = branches.join(' or ');
  const lacking = missing.length === 0 ? '' : ` (${missing.length === 1 ? 'branch' : 'branches'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in ${redactCredentials(repo)})`;
  return { why: `commit ${shortSha(sha)} is not on ${names}${lacking}` };
}
