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

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), from the state on. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * When `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat): with the pid it
 * names one process for good, where a pid alone may be reused. Undefined without /proc or once
 * the process is gone.
 */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/**
 * Whether `pid` runs (a zombie has ended) and, given its start time, is still that process and
 * not another under a reused pid. Without /proc, kill() alone decides.
 */
export function processIsRunning(pid: number, startTime?: string): boolean {
  const fields = statFields(pid);
  if (fields) return fields[0] !== 'Z' && (startTime === undefined || fields[19] === startTime);
  if (fs.existsSync('/proc/self/stat')) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isLiveMember(pid: string, pgid: number): boolean {
  const fields = statFields(pid);
  if (!fields) return false; // it ended while we looked
  const [state, , group] = fields;
  return Number(group) === pgid && state !== 'Z';
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
  for (const giveUpAt = Date.now() + ms; Date.now() < giveUpAt;) {
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
