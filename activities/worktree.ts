// A private checkout of one commit per piece of work, so concurrent promotions never share files.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { asyncLocalStorage } from '@temporalio/activity';
import type { SourceRef } from '../common/activity-contracts';
import { gitIn, repositoryWithCommit } from '../git/repository';
import { activitySignal } from './git';
import { processIsRunning, processStartTime } from './process-group';

/** Promotion IDs name folders: keep them readable but unable to climb out of the temp dir. */
function folderSafe(promotionId: string): string {
  return promotionId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'promotion';
}

function warn(message: string, meta: Record<string, unknown>): void {
  const context = asyncLocalStorage.getStore();
  if (context) context.log.warn(message, meta);
  else process.emitWarning(`${message} ${JSON.stringify(meta)}`);
}

/**
 * Removal must not listen to the activity's cancellation: it runs precisely when the work was
 * cancelled, and a leftover worktree would pin the repository's admin files forever.
 */
async function removeWorktree(repoDir: string, dir: string): Promise<void> {
  const git = gitIn(repoDir);
  await git.raw(['worktree', 'remove', '--force', dir]).catch((error: unknown) => {
    warn('git worktree remove failed; deleting the folder instead', { dir, error: String(error) });
  });
  await fs.rm(dir, { recursive: true, force: true });
  await git.raw(['worktree', 'prune']).catch((error: unknown) => {
    warn('git worktree prune failed', { repoDir, error: String(error) });
  });
}

/**
 * Each folder names the process that owns it (pid and start time, `w<pid>_<start>`), so that a
 * worktree left by a killed worker can be told from one a live worker is using, without a file
 * inside the checkout that a build would see. The start time keeps a reused pid from passing for
 * the dead owner; without /proc it is 0 and the pid alone decides.
 */
const OWNED_FOLDER = /^ferry-.+-w(\d+)_(\d+)-[A-Za-z0-9]{6}$/;
const owner = `w${process.pid}_${processStartTime(process.pid) ?? 0}`;

/** Whether `dir` is a Ferry worktree folder whose owner has died; false for any other folder. */
function isAbandoned(dir: string): boolean {
  const match = OWNED_FOLDER.exec(path.basename(dir));
  return match !== null && !processIsRunning(Number(match[1]), match[2] === '0' ? undefined : match[2]);
}

/**
 * Removes what killed workers left: their worktrees in this repository, their folders under the
 * temp dir (a worker killed before `git worktree add` leaves a folder no repository knows), and
 * the entries of worktrees whose folders are gone. Worktrees of live processes are left alone.
 */
async function removeAbandonedWorktrees(repoDir: string): Promise<void> {
  const git = gitIn(repoDir);
  const listed = await git.raw(['worktree', 'list', '--porcelain']).catch(() => '');
  const dirs = listed
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
  for (const dir of dirs.filter(isAbandoned)) {
    warn('removing a worktree left by a worker that is gone', { dir });
    // Twice forced: git locks a worktree while adding it, and the worker may have died right then.
    await git.raw(['worktree', 'remove', '--force', '--force', dir]).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
  const tmp = os.tmpdir();
  const folders = await fs.readdir(tmp).catch(() => [] as string[]);
  for (const name of folders.filter(isAbandoned)) {
    await fs.rm(path.join(tmp, name), { recursive: true, force: true }).catch(() => undefined);
  }
  await git.raw(['worktree', 'prune']).catch((error: unknown) => {
    warn('git worktree prune failed', { repoDir, error: String(error) });
  });
}

/**
 * Runs `work` in a detached worktree of `source.sha` under the temp dir, and removes the
 * worktree afterwards whatever happened. The repository is the local one or its cached mirror.
 */
export async function withWorktree<T>(source: SourceRef, promotionId: string, work: (dir: string) => Promise<T>): Promise<T> {
  const signal = activitySignal();
  const repoDir = await repositoryWithCommit(source, signal);
  await removeAbandonedWorktrees(repoDir);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `ferry-${folderSafe(promotionId)}-${owner}-`));
  try {
    await gitIn(repoDir, signal)
      .raw(['worktree', 'add', '--detach', dir, source.sha])
      .catch((error: unknown) => {
        // Killed by cancellation: report the cancellation, not git's complaint about being killed.
        throw signal?.aborted ? signal.reason : error;
      });
    return await work(dir);
  } finally {
    await removeWorktree(repoDir, dir);
  }
}
