// One process of a version: started detached from the worker (so a worker restart does not
// take the environment down with it) in a process group of its own, its output in a log file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { hasLiveMember, terminateGroup } from '../../process-group';
import { clipLine } from '../../shell-script';

export interface SpawnRequest {
  command: string;
  cwd: string;
  logFile: string;
  /** The app's whole environment beside the basics of BASE_VARIABLES: the worker's own is not passed on. */
  env: Record<string, string>;
}

export interface SpawnedProcess {
  pid: number;
  /** Undefined while it runs; then its exit code, or the signal that ended it. */
  exit(): number | NodeJS.Signals | undefined;
  /** Where this start's output begins in its log, which earlier starts of the commit may share. */
  logFrom: number;
}

/**
 * A log tail goes into errors and snapshot problems, so into workflow history, once for each
 * process that died (up to 21 a version): a few lines, each cut as command output is, and only the
 * end of the file read however large it grew.
 */
const LOG_TAIL_LINES = 20;
const LOG_TAIL_READ_BYTES = 64 * 1024;
const LOG_TAIL_MAX_CHARS = 8 * 1024;
const DRAIN_MS = 10_000;

export function isRunning(pid: number | undefined): boolean {
  return pid !== undefined && hasLiveMember(pid);
}

/**
 * What a process needs from its host to run at all (find its interpreter, a home, a temp folder,
 * the locale and time zone), taken from the worker; nothing else of the worker's environment
 * (its credentials, other environments' database URLs) reaches an app.
 */
const BASE_VARIABLES = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ'];

export function baseEnvironment(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(BASE_VARIABLES.flatMap((name) => (from[name] === undefined ? [] : [[name, from[name]!]])));
}

/** Starts `command` through the shell, appending its output to its log file. */
export function spawnProcess(request: SpawnRequest): SpawnedProcess {
  fs.mkdirSync(path.dirname(request.logFile), { recursive: true });
  const log = fs.openSync(request.logFile, 'a');
  const logFrom = fs.fstatSync(log).size;
  const child = spawn('/bin/sh', ['-c', request.command], {
    cwd: request.cwd,
    env: { ...baseEnvironment(), ...request.env },
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start "${request.command}"`);
  let exited: number | NodeJS.Signals | undefined;
  child.once('exit', (code, signal) => (exited = code ?? signal ?? undefined));
  return { pid, exit: () => exited, logFrom };
}

/** SIGTERM lets the app finish what it is serving; whatever ignores it is killed. */
export async function stopApp(pid: number | undefined): Promise<void> {
  if (pid !== undefined) await terminateGroup(pid, DRAIN_MS);
}

/**
 * The last lines of a log from byte `from` on, masked before they are cut (a secret across a cut
 * is still found whole).
 */
export function logTail(file: string, mask: (text: string) => string = (text) => text, from = 0): string {
  let end: string;
  try {
    end = readEnd(file, LOG_TAIL_READ_BYTES, from);
  } catch {
    return '(no output)';
  }
  const lines = mask(end).trimEnd().split('\n').slice(-LOG_TAIL_LINES).map(clipLine);
  const kept: string[] = [];
  for (let size = 0; lines.length > 0;) {
    const line = lines.pop()!;
    size += line.length + 1;
    if (size > LOG_TAIL_MAX_CHARS) break;
    kept.unshift(line);
  }
  return kept.join('\n') || '(no output)';
}

/** The file's last `bytes` after `from`, from the first whole line within them when there is more. */
function readEnd(file: string, bytes: number, from: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (from > size) from = 0; // the log was truncated since: all of it came after
    const start = Math.max(from, size - bytes);
    const buffer = Buffer.alloc(size - start);
    const read = fs.readSync(fd, buffer, 0, buffer.length, start);
    const text = buffer.subarray(0, read).toString('utf8');
    return start === from ? text : text.slice(text.indexOf('\n') + 1);
  } finally {
    fs.closeSync(fd);
  }
}
