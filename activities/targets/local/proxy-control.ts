// The target's side of the proxy: start it when it is not running, and steer it over its socket.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { terminateGroup } from '../../process-group';
import { logTail } from './app-process';
import type { ProxySettings } from './proxy-server';
import { routesSchema, type Routes } from './routes';
import type { WindowStats } from './traffic-stats';

const START_TIMEOUT_MS = 15_000;

export class ProxyControl {
  constructor(
    private readonly settings: ProxySettings,
    private readonly logFile: string,
  ) {}

  async isUp(): Promise<boolean> {
    return (await this.pid()) !== undefined;
  }

  async pid(): Promise<number | undefined> {
    return this.request('GET', '/ping').then(
      (answer) => (answer as { pid: number }).pid,
      () => undefined,
    );
  }

  /** Stops the proxy: the environment's port stops answering. */
  async stop(): Promise<void> {
    const pid = await this.pid();
    if (pid !== undefined) await terminateGroup(pid);
  }

  /** Starts the proxy unless it answers already; returns its pid when it had to start one. */
  async ensureRunning(): Promise<number | undefined> {
    if (await this.isUp()) return undefined;
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    const log = fs.openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [...entryArguments(), JSON.stringify(this.settings)], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    child.unref();
    let exited = false;
    child.once('exit', () => (exited = true));
    for (const giveUpAt = Date.now() + START_TIMEOUT_MS; Date.now() < giveUpAt && !exited; await delay(50)) {
      if (await this.isUp()) return child.pid;
    }
    throw new Error(`the proxy for ${this.settings.environment} on port ${this.settings.port} did not start:\n${logTail(this.logFile)}`);
  }

  async routes(): Promise<Routes> {
    return routesSchema.parse(await this.request('GET', '/routes'));
  }

  async setRoutes(routes: Routes): Promise<void> {
    await this.request('PUT', '/routes', routes);
  }

  async stats(version: string, windowMs = 60_000): Promise<WindowStats> {
    return (await this.request('GET', `/stats/${encodeURIComponent(version)}?windowMs=${windowMs}`)) as WindowStats;
  }

  /** Waits until the requests a version was serving are answered, before it is stopped. */
  async drain(version: string, timeoutMs = 10_000): Promise<void> {
    for (const giveUpAt = Date.now() + timeoutMs; Date.now() < giveUpAt; await delay(50)) {
      if ((await this.stats(version)).inFlight === 0) return;
    }
  }

  private request(method: string, pathname: string, body?: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // agent: false, a connection per call: a kept-alive socket would hold a finished process open.
      const request = http.request({ socketPath: this.settings.socketPath, method, path: pathname, timeout: 5_000, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) reject(new Error(`proxy ${method} ${pathname}: ${response.statusCode} ${text}`));
          else resolve(JSON.parse(text));
        });
      });
      request.once('timeout', () => request.destroy(new Error(`proxy ${method} ${pathname}: no answer in 5 s`)));
      request.once('error', reject);
      request.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
}

/** Compiled, the proxy is plain JavaScript; from the TypeScript sources it runs through ts-node. */
function entryArguments(): string[] {
  const compiled = path.join(__dirname, 'proxy-main.js');
  if (fs.existsSync(compiled)) return [compiled];
  return ['--require', require.resolve('ts-node/register/transpile-only'), path.join(__dirname, 'proxy-main.ts')];
}
