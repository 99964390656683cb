// One process of a version: started detached from the worker (so a worker restart does not
// take the environment down with it) in a process group of its own, its output in a log file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { hasLiveMember, terminateGroup } from '../../process-group';

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
}

const LOG_TAIL_LINES = 20;
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
  return { pid, exit: () => exited };
}

/** SIGTERM lets the app finish what it is serving; whatever ignores it is killed. */
export async function stopApp(pid: number | undefined): Promise<void> {
  if (pid !== undefined) await terminateGroup(pid, DRAIN_MS);
}

export function logTail(file: string, mask: (text: string) => string = (text) => text): string {
  try {
    return mask(fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n')) || '(no output)';
  } catch {
    return '(no output)';
  }
}
