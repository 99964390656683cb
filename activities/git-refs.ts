// The refs policy and the refs Ferry keeps, as activities: whether a commit is on the branches an
// environment takes (`from`, git/branches.ts), and moving a ref to what an environment runs (`recordRef`).
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { parseActivityInput } from '../common/activity-input';
import { FailureType } from '../common/errors';
import { branchNameOk } from '../common/release-order-rules';
import { isRemote } from '../common/url-credentials';
import { checkBranches as checkBranchesIn, fullShaSchema, notInRepo, shortSha as short } from '../git/branches';
import { commitSha, credentialsEnvSchema, gitIn, gitReason, redactCredentials, repoAccess, repositoryWithCommit, resolveInputSchema, rethrowIfCancelled, type RepoAccess } from '../git/repository';
import { activitySignal } from './git';

const moveRefSchema = z.object({
  repo: resolveInputSchema.shape.repo,
  sha: fullShaSchema,
  ref: z.string().max(250).refine(branchNameOk, 'must be a ref name such as refs/ferry/production or env/production'),
  credentialsEnv: credentialsEnvSchema,
});

/** Whether `sha` is on one of `branches` (git/branches.ts), cancelled with the activity. */
export async function checkBranches(input: { repo: string; sha: string; branches: string[]; credentialsEnv?: string }): Promise<{ onBranch?: string; why?: string }> {
  return checkBranchesIn(input, activitySignal());
}

/** `refs/…` as it is; any other name is a branch. */
export function fullRefName(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
}

/** Git's answer to a push that a retry will not change: the credential or the permission is wrong. */
const REFUSED_PUSH = /authentication failed|could not read username|\b40[13]\b|permission|denied|not allowed/i;

/**
 * Points `ref` (refs/…, or a branch name) in the repository at `sha`, forced: a rollback moves it
 * back. A local repository's ref is set in place; a remote one is pushed to from the mirror that
 * holds the commit, with the credential `credentialsEnv` names as a header (never in a URL).
 */
export async function moveRef(input: { repo: string; sha: string; ref: string; credentialsEnv?: string }): Promise<{ ref: string; previous?: string }> {
  const { repo, sha, ref, credentialsEnv } = parseActivityInput(moveRefSchema, input, 'moveRef');
  const full = fullRefName(ref);
  const signal = activitySignal();
  const access = repoAccess(repo, credentialsEnv, 'recordRef.credentialsEnv');
  const dir = await repositoryWithCommit({ repo, sha, credentialsEnv }, signal).catch((error: unknown) => {
    if (error instanceof ApplicationFailure && error.type === FailureType.UnknownRef) throw notInRepo(repo, sha);
    throw error;
  });
  if (!isRemote(repo)) return moveLocalRef(dir, repo, full, sha, signal);
  const previous = await remoteRef(dir, repo, full, signal, access);
  try {
    await gitIn(dir, signal, access).raw(['push', '--porcelain', '--no-verify', repo, `+${sha}:${full}`]);
  } catch (error) {
    rethrowIfCancelled(signal);
    const why = gitReason(error, access);
    const message = `pushing ${short(sha)} to ${full} in ${redactCredentials(repo)} failed: ${why}`;
    if (REFUSED_PUSH.test(why)) throw ApplicationFailure.nonRetryable(message, FailureType.RepoUnreachable);
    throw new Error(message);
  }
  return { ref: full, ...(previous ? { previous } : {}) };
}

async function moveLocalRef(dir: string, repo: string, full: string, sha: string, signal?: AbortSignal): Promise<{ ref: string; previous?: string }> {
  const git = gitIn(dir, signal);
  // Moving the branch a work tree has checked out would leave its files at another commit than HEAD says.
  const head = (await git.raw(['symbolic-ref', '--quiet', 'HEAD']).catch(() => '')).trim();
  const bare = (await git.raw(['rev-parse', '--is-bare-repository'])).trim() === 'true';
  if (!bare && head === full) {
    throw ApplicationFailure.nonRetryable(`recordRef: ${full} is the branch checked out in ${repo}; Ferry moves it only in a repository where it is not checked out`, FailureType.InvalidInput);
  }
  const previous = await commitSha(dir, full, signal).catch(() => undefined);
  try {
    await git.raw(['update-ref', '-m', `ferry: ${short(sha)} is live`, full, sha]);
  } catch (error) {
    rethrowIfCancelled(signal);
    throw new Error(`moving ${full} to ${short(sha)} in ${repo} failed: ${gitReason(error)}`);
  }
  return { ref: full, ...(previous ? { previous } : {}) };
}

/** Where `full` points in the remote now, for the record; undefined when it does not exist yet. */
async function remoteRef(dir: string, repo: string, full: string, signal: AbortSignal | undefined, access: RepoAccess | undefined): Promise<string | undefined> {
  try {
    const out = await gitIn(dir, signal, access).raw(['ls-remote', repo, full]);
    const line = out.split('\n').find((l) => l.endsWith(`\t${full}`));
    return line?.slice(0, 40);
  } catch (error) {
    rethrowIfCancelled(signal);
    const why = gitReason(error, access);
    const message = `reading ${full} in ${redactCredentials(repo)} failed: ${why}`;
    if (REFUSED_PUSH.test(why)) throw ApplicationFailure.nonRetryable(message, FailureType.RepoUnreachable);
    throw new Error(message);
  }
}
