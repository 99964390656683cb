// The refs policy and the refs Ferry keeps: whether a commit is on the branches an environment
// takes (`from`), and moving a ref to what an environment runs (`recordRef`).
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { FailureType } from '../common/errors';
import { branchNameOk } from '../common/release-order-rules';
import { isRemote } from '../common/url-credentials';
import { parseActivityInput } from './activity-input';
import {
  activitySignal,
  commitSha,
  credentialsEnvSchema,
  gitIn,
  gitReason,
  openRepository,
  redactCredentials,
  repoAccess,
  repositoryWithCommit,
  resolveInputSchema,
  rethrowIfCancelled,
  type RepoAccess,
} from './git';

const fullSha = z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-character commit SHA');
const branch = z.string().max(200).refine(branchNameOk, 'must be a branch name');

const checkBranchesSchema = z.object({
  repo: resolveInputSchema.shape.repo,
  sha: fullSha,
  branches: z.array(branch).min(1, 'must name a branch').max(20),
  credentialsEnv: credentialsEnvSchema,
});

const moveRefSchema = z.object({
  repo: resolveInputSchema.shape.repo,
  sha: fullSha,
  ref: z.string().max(250).refine(branchNameOk, 'must be a ref name such as refs/ferry/production or env/production'),
  credentialsEnv: credentialsEnvSchema,
});

const short = (sha: string) => sha.slice(0, 7);

/** `refs/…` as it is; any other name is a branch. */
export function fullRefName(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
}

function notInRepo(repo: string, sha: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`commit ${sha} is not in ${redactCredentials(repo)}`, FailureType.UnknownRef);
}

/**
 * Whether `sha` is in the history of one of `branches` (git's ancestry: the branch tip contains
 * it), as the repository has them now: a remote one is fetched first, so a branch moved since the
 * last promotion counts. A branch the repository lacks is named in `why`, never an error: the
 * answer is still "not on an allowed branch".
 */
export async function checkBranches(input: { repo: string; sha: string; branches: string[]; credentialsEnv?: string }): Promise<{ onBranch?: string; why?: string }> {
  const { repo, sha, branches, credentialsEnv } = parseActivityInput(checkBranchesSchema, input, 'checkBranches');
  const signal = activitySignal();
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
      throw new Error(`checking whether ${short(sha)} is on ${present.join(', ')} in ${redactCredentials(repo)} failed: ${gitReason(error)}`);
    }
  }
  if (containing.length > 0) return { onBranch: containing[0] };
  const names = branches.join(' or ');
  const lacking = missing.length === 0 ? '' : ` (${missing.length === 1 ? 'branch' : 'branches'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in ${redactCredentials(repo)})`;
  return { why: `commit ${short(sha)} is not on ${names}${lacking}` };
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
