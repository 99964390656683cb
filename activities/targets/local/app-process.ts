// One version of the app as a process on a port of its own. It runs detached from the worker
// so a worker restart does not take the environment down with it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { hasLiveMember, terminateGroup } from '../../process-group';
import { answersOk, freePort } from './probes';

export interface StartRequest {
  command: string;
  cwd: string;
  logFile: string;
  /** The app's whole environment beside the basics of BASE_VARIABLES: the worker's own is not passed on. */
  env: Record<string, string>;
  /** Masks the secrets the app was given out of its output, where an error quotes it. */
  mask?: (text: string) => string;
  healthUrl: (port: number) => string;
  startTimeoutMs: number;
  signal?: AbortSignal;
  onWait?: () => void;
  /** Called once the process exists, before it is healthy: the caller records it. */
  onSpawn?: (process: StartedProcess) => Promise<void>;
}

export interface StartedProcess {
  pid: number;
  port: number;
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

/** Starts the command with PORT set and returns once its health URL answers 2xx. */
export async function startApp(request: StartRequest): Promise<StartedProcess> {
  const port = await freePort();
  fs.mkdirSync(path.dirname(request.logFile), { recursive: true });
  const log = fs.openSync(request.logFile, 'a');
  const child = spawn('/bin/sh', ['-c', request.command], {
    cwd: request.cwd,
    env: { ...baseEnvironment(), ...request.env, PORT: String(port) },
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start "${request.command}"`);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  await request.onSpawn?.({ pid, port });

  const giveUpAt = Date.now() + request.startTimeoutMs;
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`"${request.command}" exited with ${exited} before it was healthy:\n${logTail(request.logFile, request.mask)}`);
    }
    if (await answersOk(request.healthUrl(port))) return { pid, port };
    if (request.signal?.aborted || Date.now() > giveUpAt) {
      await terminateGroup(pid);
      if (request.signal?.aborted) throw request.signal.reason;
      throw new Error(`"${request.command}" was not healthy at ${request.healthUrl(port)} within ${request.startTimeoutMs} ms:\n${logTail(request.logFile, request.mask)}`);
    }
    request.onWait?.();
    await delay(100);
  }
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
