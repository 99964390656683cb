// Worktrees left behind by workers that were killed: real git, real processes, real SIGKILL.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { withWorktree } from '../../activities/worktree';
import type { SourceRef } from '../../common/activity-contracts';
import { removeTempDirs, sampleRepo, tempDir, type SampleRepo } from '../helpers/git-repo';

const holder = path.join(__dirname, 'children', 'worktree-holder.ts');
let sample: SampleRepo;
let source: SourceRef;

beforeAll(() => {
  sample = sampleRepo();
  source = { repo: sample.repo.dir, sha: sample.shas.second };
});

afterAll(removeTempDirs);

async function eventually<T>(probe: () => T | undefined, what: string, ms = 60_000): Promise<T> {
  for (const giveUpAt = Date.now() + ms; Date.now() < giveUpAt; await delay(50)) {
    const value = probe();
    if (value !== undefined) return value;
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The linked worktrees the repository knows, by real path. */
function worktreeEntries(): string[] {
  return sample.repo
    .git(['worktree', 'list', '--porcelain'])
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length))
    .filter((dir) => dir !== fs.realpathSync(sample.repo.dir));
}

const real = (dir: string) => fs.realpathSync(dir);

/** Starts a process that takes a worktree and holds it; resolves with the process and the worktree's folder. */
async function holdWorktree(promotionId: string) {
  const ready = path.join(tempDir('holder'), 'dir');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', holder, JSON.stringify(source), promotionId, ready], { stdio: 'ignore' });
  const dir = await eventually(() => (fs.existsSync(ready) ? fs.readFileSync(ready, 'utf8') : undefined), `${promotionId}'s worktree`);
  return { child, dir };
}

test('the next use of a repository removes the worktrees of killed workers and keeps those of live ones', async () => {
  const killed = await holdWorktree('ferry-shop-killed');
  killed.child.kill('SIGKILL');
  await once(killed.child, 'exit');
  const stale = real(killed.dir);
  expect(worktreeEntries()).toContain(stale);

  // A worker killed between making the folder and adding the worktree leaves a folder the repository does not know.
  const orphan = stale.replace(/-[A-Za-z0-9]+$/, '-Orphan');
  fs.mkdirSync(orphan);

  const alive = await holdWorktree('ferry-shop-alive');
  let releaseHeld: () => void = () => undefined;
  let held = '';
  const heldHere = withWorktree(source, 'ferry-shop-held', async (dir) => {
    held = real(dir);
    await new Promise<void>((resolve) => (releaseHeld = resolve));
  });
  try {
    await eventually(() => held || undefined, 'this process’s own worktree');
    const seen = await withWorktree(source, 'ferry-shop-next', async (dir) => ({ dir: real(dir), entries: worktreeEntries() }));

    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(orphan)).toBe(false);
    expect(seen.entries).not.toContain(stale);
    expect(seen.entries).toEqual(expect.arrayContaining([real(alive.dir), held, seen.dir]));
    expect(fs.existsSync(alive.dir)).toBe(true);
    expect(fs.existsSync(held)).toBe(true);
  } finally {
    releaseHeld();
    await heldHere;
    alive.child.kill('SIGKILL');
    await once(alive.child, 'exit');
  }
});

test('a worktree whose folder is gone is pruned from the repository on its next use', async () => {
  const killed = await holdWorktree('ferry-shop-vanished');
  killed.child.kill('SIGKILL');
  await once(killed.child, 'exit');
  const stale = real(killed.dir);
  fs.rmSync(stale, { recursive: true, force: true }); // a temp cleaner or a reboot got there first

  const entries = await withWorktree(source, 'ferry-shop-after', async () => worktreeEntries());
  expect(entries).not.toContain(stale);
});
