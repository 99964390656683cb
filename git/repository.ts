// Git for Ferry, the CLI (`ferry start` resolves --ref and checks the refs policy) and the
// activities alike: a local repository is used where it lies; a remote one through a bare mirror
// kept in a cache directory, so each promotion fetches only what changed. Nothing here knows of
// an activity: a caller hands in its cancellation signal.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { simpleGit, type SimpleGit } from 'simple-git';
import { z } from 'zod';
import type { CommitInfo, SourceRef } from '../common/activity-contracts';
import { FailureType } from '../common/errors';
import { isRemote } from '../common/url-credentials';
import { parseActivityInput } from '../common/activity-input';

const notAnOption = (text: string) => !text.startsWith('-');

/** The name of the worker variable holding an http(s) repository's `user:password` or token. */
export const credentialsEnvSchema = z
  .string()
  .max(128)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')
  .optional();

// Refs and repos reach git as arguments: one starting with "-" would be read as an option.
export const resolveInputSchema = z.object({
  repo: z.string().trim().min(1, 'must not be empty').max(2048).refine(notAnOption, 'must not start with "-"'),
  ref: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(1024)
    .refine(notAnOption, 'must not start with "-"')
    .refine((ref) => !/[\s\x00-\x1f\x7f]/.test(ref), 'must not contain spaces or control characters'),
  credentialsEnv: credentialsEnvSchema,
});

export const sourceRefSchema = z.object({
  repo: resolveInputSchema.shape.repo,
  sha: z.string().regex(/^[0-9a-f]{7,40}$/i, 'must be a commit SHA (7 to 40 hex digits)'),
  credentialsEnv: credentialsEnvSchema,
});

/** Removes `user:password@` from every URL in `text`: git repeats URLs in its errors, and errors reach workflow history. */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi, '$1');
}

export { isRemote };

function cacheRoot(): string {
  return process.env.FERRY_GIT_CACHE || path.join(os.tmpdir(), 'ferry-git-cache');
}

// Keys simple-git refuses to pass on explicitly (it strips them from the ambient environment anyway).
const GUARDED_ENV = /^(git_.*|editor|visual|pager|prefix|ssh_askpass)$/i;

/**
 * How git authenticates to an http(s) repository: one `http.<origin>/.extraHeader` setting, given
 * to git through its GIT_CONFIG_* variables, so the credential is never in a URL, a config file
 * on disk or git's argv (which `ps` shows); `mask` hides it in anything git says.
 */
export interface RepoAccess {
  config: Record<string, string>;
  mask: (text: string) => string;
}

const CONFIG_ENV = ['GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0'];

/** A git client for `dir`; without a terminal prompt, so a missing credential fails instead of hanging a worker. */
export function gitIn(dir: string, signal?: AbortSignal, access?: RepoAccess): SimpleGit {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !GUARDED_ENV.test(key)));
  return simpleGit({
    baseDir: dir,
    abort: signal,
    allowEnvironment: ['GIT_TERMINAL_PROMPT', ...CONFIG_ENV],
    // simple-git guards GIT_CONFIG_COUNT because config from the environment could run commands;
    // here Ferry writes the one key itself (an http header), from a value checked in repoAccess.
    unsafe: access ? { allowUnsafeConfigEnvCount: true } : undefined,
  }).env({
    ...env,
    ...access?.config,
    GIT_TERMINAL_PROMPT: '0',
  });
}

/** Replaces `value`, and every form git or a URL could show it in, with `***`. */
export function maskCredential(value: string): (text: string) => string {
  const colon = value.indexOf(':');
  const parts = colon > 0 ? [value, value.slice(colon + 1)] : [value];
  const forms = parts.flatMap((part) => [part, encodeURIComponent(part), Buffer.from(part).toString('base64')]);
  // Longest first, so a whole value is replaced before a part of it; short parts are not secrets worth garbling text for.
  const secrets = [...new Set(forms)].filter((form) => form.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => secrets.reduce((masked, secret) => masked.split(secret).join('***'), text);
}

/**
 * The credential `credentialsEnv` names, read on this worker, for `repo`. The config refuses it for
 * anything but http(s); an unset variable is a configuration error, never retried. `field` is the
 * config field that names the variable, for the error.
 */
export function repoAccess(repo: string, credentialsEnv: string | undefined, field = 'repoCredentialsEnv'): RepoAccess | undefined {
  if (credentialsEnv === undefined) return undefined;
  const url = /^https?:\/\//i.test(repo) ? new URL(repo) : undefined;
  if (!url) {
    throw ApplicationFailure.nonRetryable(`${field} (${credentialsEnv}) is only for an http(s) repository, not ${redactCredentials(repo)}`, FailureType.InvalidInput);
  }
  const value = process.env[credentialsEnv];
  if (!value) {
    throw ApplicationFailure.nonRetryable(`${credentialsEnv} is not set on this worker (${field} names it)`, FailureType.InvalidInput);
  }
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw ApplicationFailure.nonRetryable(`${credentialsEnv} holds a line break or other control character, which cannot be sent as a header (${field} names it)`, FailureType.InvalidInput);
  }
  // `user:password` (a token as the password, e.g. `x-access-token:<token>`) is basic auth; a bare token a bearer token.
  const authorization = value.includes(':') ? `Basic ${Buffer.from(value).toString('base64')}` : `Bearer ${value}`;
  return {
    config: {
      GIT_CONFIG_COUNT: '1',
      // Scoped to the repository's origin: a redirect to another host does not get the header.
      GIT_CONFIG_KEY_0: `http.${url.origin}/.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: ${authorization}`,
    },
    mask: maskCredential(value),
  };
}

/** Git's own verdict (its `fatal:`/`error:` line), not the progress chatter before it; never the credential. */
export function gitReason(error: unknown, access?: RepoAccess): string {
  const text = access ? access.mask(error instanceof Error ? error.message : String(error)) : error instanceof Error ? error.message : String(error);
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return redactCredentials(lines.find((line) => /^(fatal|error):/.test(line)) ?? lines.at(-1) ?? 'unknown error');
}

/** Cancellation wins over whatever git said while it was being killed. */
export function rethrowIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

function unreachable(repo: string, why: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`repository ${redactCredentials(repo)} is unreachable: ${why}`, FailureType.RepoUnreachable);
}

export function unknownRef(repo: string, ref: string, why?: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`ref "${ref}" is not a commit in ${redactCredentials(repo)}${why ? ` (${why})` : ''}`, FailureType.UnknownRef);
}

/** A local path must be the top of a work tree or a bare repository, not any folder inside one. */
async function openLocal(repo: string, signal?: AbortSignal): Promise<string> {
  let dir: string;
  try {
    dir = await fs.realpath(repo);
    if (!(await fs.stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw unreachable(repo, 'no such directory');
  }
  try {
    const git = gitIn(dir, signal);
    const [bare, gitDir] = (await git.raw(['rev-parse', '--is-bare-repository', '--absolute-git-dir'])).trim().split('\n');
    const atTop = bare === 'true' ? (await fs.realpath(gitDir)) === dir : (await git.raw(['rev-parse', '--show-cdup'])).trim() === '';
    if (!atTop) throw new Error('inside a repository, not at its top');
  } catch (error) {
    rethrowIfCancelled(signal);
    throw unreachable(repo, `not a git repository (${gitReason(error)})`);
  }
  return dir;
}

function mirrorDir(url: string): string {
  const readable = redactCredentials(url)
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(-48);
  const digest = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return path.join(cacheRoot(), `${readable}-${digest}.git`);
}

async function exists(target: string): Promise<boolean> {
  return fs.access(target).then(
    () => true,
    () => false,
  );
}

/**
 * Clones into a staging folder and renames it into place, so a clone interrupted by a crash
 * never leaves a half-made mirror, and two workers sharing the cache agree on one winner.
 */
async function cloneMirror(url: string, dir: string, signal?: AbortSignal, access?: RepoAccess): Promise<void> {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const staging = await fs.mkdtemp(`${dir}.clone-`);
  try {
    await gitIn(path.dirname(dir), signal, access).raw(['clone', '--mirror', url, staging]);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    rethrowIfCancelled(signal);
    throw unreachable(url, `clone failed: ${gitReason(error, access)}`);
  }
  try {
    await fs.rename(staging, dir);
  } catch (error) {
    if (!(await exists(dir))) throw error;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * A fetch that fails on an existing mirror is retryable (a network blip, or another worker
 * fetching the same mirror at this moment), unlike a clone that never succeeded.
 */
async function fetchMirror(url: string, dir: string, signal?: AbortSignal, access?: RepoAccess): Promise<void> {
  try {
    await gitIn(dir, signal, access).raw(['fetch', '--prune', 'origin', '+refs/*:refs/*']);
  } catch (error) {
    rethrowIfCancelled(signal);
    throw new Error(`fetching ${redactCredentials(url)} failed: ${gitReason(error, access)}`);
  }
}

// Within one worker, one git operation per mirror at a time: concurrent fetches fight over ref locks.
const mirrorQueues = new Map<string, Promise<unknown>>();

function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = mirrorQueues.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  mirrorQueues.set(key, next);
  const forget = () => {
    if (mirrorQueues.get(key) === next) mirrorQueues.delete(key);
  };
  next.then(forget, forget);
  return next;
}

type Freshness = 'fetch' | 'as-cached';

async function openMirror(url: string, freshness: Freshness, signal?: AbortSignal, access?: RepoAccess): Promise<string> {
  const dir = mirrorDir(url);
  return oneAtATime(dir, async () => {
    if (!(await exists(dir))) await cloneMirror(url, dir, signal, access);
    else if (freshness === 'fetch') await fetchMirror(url, dir, signal, access);
    return dir;
  });
}

/**
 * A local directory holding `repo`: the repository itself, or its mirror in the cache, reached
 * with the credential `credentialsEnv` names when it has one.
 */
export async function openRepository(repo: string, freshness: Freshness, signal?: AbortSignal, credentialsEnv?: string): Promise<string> {
  const access = repoAccess(repo, credentialsEnv);
  return isRemote(repo) ? openMirror(repo, freshness, signal, access) : openLocal(repo, signal);
}

export async function commitSha(dir: string, ref: string, signal?: AbortSignal): Promise<string | undefined> {
  // --quiet: an unknown ref prints nothing; an ambiguous short SHA still complains on stderr.
  const out = await gitIn(dir, signal).raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  const sha = out.trim();
  return /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

async function readCommit(dir: string, sha: string, signal?: AbortSignal): Promise<CommitInfo> {
  const out = await gitIn(dir, signal).raw(['show', '--no-patch', '--format=%H%x00%an%x00%ae%x00%s', sha]);
  const [full, authorName, authorEmail, subject] = out.replace(/\n$/, '').split('\0');
  return { sha: full, authorName, authorEmail, subject };
}

/** Resolves a branch, tag (annotated ones peeled to their commit) or SHA to the commit it names. */
export async function resolveCommit(input: { repo: string; ref: string; credentialsEnv?: string }, signal?: AbortSignal): Promise<CommitInfo> {
  const { repo, ref, credentialsEnv } = parseActivityInput(resolveInputSchema, input, 'resolveCommit');
  const dir = await openRepository(repo, 'fetch', signal, credentialsEnv);
  let sha: string | undefined;
  try {
    sha = await commitSha(dir, ref, signal);
  } catch (error) {
    rethrowIfCancelled(signal);
    throw unknownRef(repo, ref, gitReason(error));
  }
  if (!sha) throw unknownRef(repo, ref);
  return readCommit(dir, sha, signal);
}

async function hasCommit(dir: string, sha: string, signal?: AbortSignal): Promise<boolean> {
  return (await commitSha(dir, sha, signal).catch(() => undefined)) !== undefined;
}

/**
 * A local directory whose object store holds `source.sha`. The commit may have been resolved
 * on another worker, so a cached mirror that lacks it is fetched once before giving up.
 */
export async function repositoryWithCommit(source: SourceRef, signal?: AbortSignal): Promise<string> {
  const { repo, sha, credentialsEnv } = parseActivityInput(sourceRefSchema, source, 'source');
  let dir = await openRepository(repo, 'as-cached', signal, credentialsEnv);
  if (!(await hasCommit(dir, sha, signal)) && isRemote(repo)) {
    dir = await openRepository(repo, 'fetch', signal, credentialsEnv);
  }
  if (!(await hasCommit(dir, sha, signal))) {
    rethrowIfCancelled(signal);
    throw unknownRef(repo, sha);
  }
  return dir;
}
