// A private checkout of one commit per piece of work, so concurrent promotions never share files.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { asyncLocalStorage } from '@temporalio/activity';
import type { SourceRef } from '../common/activity-contracts';
import { activitySignal, gitIn, repositoryWithCommit } from './git';

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
 * Runs `work` in a detached worktree of `source.sha` under the temp dir, and removes the
 * worktree afterwards whatever happened. The repository is the local one or its cached mirror.
 */
export async function withWorktree<T>(
  source: SourceRef,
  promotionId: string,
  work: (dir: string) => Promise<T>,
): Promise<T> {
  const signal = activitySignal();
  const repoDir = await repositoryWithCommit(source, signal);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `ferry-${folderSafe(promotionId)}-`));
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
