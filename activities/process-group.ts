// Processes Ferry starts run in their own process group, so stopping one stops all it started.
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

const KILL_GRACE_MS = 5_000;

/** Signals every process in the group; false once none is left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

function isLiveMember(pid: string, pgid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(group) === pgid && state !== 'Z';
  } catch {
    return false; // it ended while we looked
  }
}

/**
 * Zombies count as gone: they are dead and wait only for init to reap them, which may take a
 * while (or forever, where the worker itself is PID 1). Without /proc, trust kill() alone.
 */
export function hasLiveMember(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (!fs.existsSync('/proc/self/stat')) return true;
  return fs.readdirSync('/proc').some((entry) => /^\d+$/.test(entry) && isLiveMember(entry, pgid));
}

async function waitUntilGone(pgid: number, ms: number): Promise<boolean> {
  for (const giveUpAt = Date.now() + ms; Date.now() < giveUpAt; ) {
    if (!hasLiveMember(pgid)) return true;
    await delay(100);
  }
  return !hasLiveMember(pgid);
}

/** SIGTERM first so tools can clean up, SIGKILL for whatever ignores it. */
export async function terminateGroup(pgid: number, graceMs = KILL_GRACE_MS): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await waitUntilGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitUntilGone(pgid, KILL_GRACE_MS);
}

