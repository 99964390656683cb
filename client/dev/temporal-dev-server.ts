// The Temporal dev server (and its Web UI) as a child process, with Ferry's search attributes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/search-attributes';

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  temporal: string;
  dbFile: string;
  port: number;
  uiPort: number;
  logFile: string;
}

const READY_TIMEOUT_MS = 60_000;

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(
    options.temporal,
    [
      'server',
      'start-dev',
      '--db-filename',
      options.dbFile,
      '--ip',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--ui-port',
      String(options.uiPort),
      '--log-level',
      'warn',
      ...ALL_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
    ],
    // Its own process group: Ctrl-C reaches `ferry dev`, which stops this server only once its
    // workers have drained, since finishing activities still need it.
    { stdio: ['ignore', log, log], detached: true },
  );
  fs.closeSync(log);
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  child.once('exit', () => process.off('exit', stopOnExit));
  const address = `127.0.0.1:${options.port}`;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const stop = () => stopChild(child);

  for (const giveUpAt = Date.now() + READY_TIMEOUT_MS; ; await delay(250)) {
    if (exited !== undefined) {
      throw new Error(`the Temporal dev server exited with ${exited}; its log is ${options.logFile}:\n${tail(options.logFile)}`);
    }
    const connection = await Connection.connect({ address, connectTimeout: '1s' }).catch(() => undefined);
    if (connection) {
      const ready = await connection.workflowService.getSystemInfo({}).then(
        () => true,
        () => false,
      );
      await connection.close();
      if (ready) return { address, uiUrl: `http://127.0.0.1:${options.uiPort}`, stop };
    }
    if (Date.now() > giveUpAt) {
      await stop();
      throw new Error(`the Temporal dev server did not answer on ${address} within ${READY_TIMEOUT_MS / 1000} s:\n${tail(options.logFile)}`);
    }
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => true), delay(10_000).then(() => false)]);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
