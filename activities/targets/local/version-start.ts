// Starting one version: its web process (on a port, behind the proxy) and its other processes
// together, from the same folder with the same environment. The version is up once the web
// process answers its health path and the others have stayed up a short while; if any one
// exits first, or the start times out, every process of the version is stopped.
import { setTimeout as delay } from 'node:timers/promises';
import { terminateGroup } from '../../process-group';
import { logTail, spawnProcess, type SpawnedProcess } from './app-process';
import { answersOk, freePort } from './probes';

/**
 * How long the other processes must stay up after they started (and at least until the web
 * process is healthy), or the start timeout if that is shorter: long enough to catch a worker that
 * dies on its configuration. One that dies later is a problem the version's snapshot reports.
 */
export const SETTLE_MS = 2_000;

export interface ProcessToStart {
  name: string;
  command: string;
  logFile: string;
}

export interface VersionStartRequest {
  /** Names the version in errors. */
  version: string;
  web: { command: string; logFile: string };
  others: ProcessToStart[];
  cwd: string;
  /** What every process gets; the web process gets PORT beside it. */
  env: Record<string, string>;
  /**
   * Masks the secrets the version was given out of its output, where an error quotes it: only
   * this start's output, as an earlier start of the commit may have had other values.
   */
  mask?: (text: string) => string;
  healthUrl: (port: number) => string;
  startTimeoutMs: number;
  /** How long the other processes must stay up: SETTLE_MS unless a test needs a window it can rely on. */
  settleMs?: number;
  signal?: AbortSignal;
  onWait?: () => void;
  /** Called once every process exists, before the version is up: the caller records them. */
  onSpawn?: (version: StartedVersion) => Promise<void>;
}

export interface StartedVersion {
  pid: number;
  port: number;
  /** The other processes, in the order asked for. */
  processes: Array<{ name: string; pid: number }>;
}

export async function startVersion(request: VersionStartRequest): Promise<StartedVersion> {
  const port = await freePort();
  const spawned: SpawnedProcess[] = [];
  const stopAll = () => Promise.all(spawned.map((p) => terminateGroup(p.pid)));
  try {
    const web = spawnProcess({ ...request.web, cwd: request.cwd, env: { ...request.env, PORT: String(port) } });
    spawned.push(web);
    const others = request.others.map((other) => {
      const process = spawnProcess({ ...other, cwd: request.cwd, env: request.env });
      spawned.push(process);
      return { ...other, process };
    });
    const started = { pid: web.pid, port, processes: others.map(({ name, process }) => ({ name, pid: process.pid })) };
    await request.onSpawn?.(started);

    const startedAt = Date.now();
    const settledAt = startedAt + (others.length ? Math.min(request.settleMs ?? SETTLE_MS, request.startTimeoutMs) : 0);
    const giveUpAt = startedAt + request.startTimeoutMs;
    let healthy = false;
    for (;;) {
      const exited = others.find((other) => other.process.exit() !== undefined);
      if (exited) {
        const tail = logTail(exited.logFile, request.mask, exited.process.logFrom);
        throw new Error(`"${exited.command}" (the ${exited.name} process) exited with ${exited.process.exit()} before ${request.version} was up:\n${tail}`);
      }
      if (web.exit() !== undefined) {
        throw new Error(`"${request.web.command}" exited with ${web.exit()} before it was healthy:\n${logTail(request.web.logFile, request.mask, web.logFrom)}`);
      }
      healthy ||= await answersOk(request.healthUrl(port));
      if (healthy && Date.now() >= settledAt) return started;
      if (request.signal?.aborted) throw request.signal.reason;
      // Settling ends before the timeout: past it, the web process is what was not ready.
      if (Date.now() > giveUpAt) {
        throw new Error(`"${request.web.command}" was not healthy at ${request.healthUrl(port)} within ${request.startTimeoutMs} ms:\n${logTail(request.web.logFile, request.mask, web.logFrom)}`);
      }
      request.onWait?.();
      await delay(100);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
}
