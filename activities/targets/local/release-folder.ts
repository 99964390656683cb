// A version runs from its own folder holding the files of its commit, made once and kept
// while the version may still be needed (stable, canary or previous).
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SourceRef } from '../../../common/activity-contracts';
import { repositoryWithCommit } from '../../../git/repository';

export async function releaseFolder(releasesDir: string, source: SourceRef, signal?: AbortSignal): Promise<string> {
  const dir = path.join(releasesDir, source.sha);
  if (await exists(dir)) return dir;
  const repoDir = await repositoryWithCommit(source, signal);
  await fs.mkdir(releasesDir, { recursive: true });
  const aside = await fs.mkdtemp(`${dir}.partial-`);
  try {
    await exportCommit(repoDir, source.sha, aside, signal);
    await fs.rename(aside, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another attempt finished first: its folder holds the same commit.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await fs.rm(aside, { recursive: true, force: true });
  }
  return dir;
}

/** Removes release folders no longer in `keep`. */
export async function pruneReleases(releasesDir: string, keep: string[]): Promise<void> {
  const entries = await fs.readdir(releasesDir).catch(() => [] as string[]);
  await Promise.all(entries.filter((entry) => !keep.includes(entry)).map((entry) => fs.rm(path.join(releasesDir, entry), { recursive: true, force: true })));
}

/** `git archive | tar -x`: the commit's files without a .git, so nothing ties the folder to the repository. */
function exportCommit(repoDir: string, sha: string, into: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = spawn('git', ['-C', repoDir, 'archive', '--format=tar', sha], { stdio: ['ignore', 'pipe', 'pipe'], signal });
    const extract = spawn('tar', ['-x', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'], signal });
    const errors: string[] = [];
    archive.stderr.on('data', (chunk) => errors.push(String(chunk)));
    extract.stderr.on('data', (chunk) => errors.push(String(chunk)));
    archive.stdout.pipe(extract.stdin);
    let pending = 2;
    const done = (what: string) => (code: number | null) => {
      if (code !== 0) reject(new Error(`${what} of ${sha} failed (exit ${code}): ${errors.join('').trim()}`));
      else if (--pending === 0) resolve();
    };
    archive.once('error', reject).once('close', done('git archive'));
    extract.once('error', reject).once('close', done('extracting'));
  });
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
