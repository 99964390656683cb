// A real Temporal dev server (the one `ferry dev` runs) on free ports, for end-to-end tests.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer, type DevServerOptions } from '../../client/dev/temporal-dev-server';
import { freePort } from './shop';
import { removeTempDirs, tempDir } from './git-repo';
import { toolPaths } from './tools';

export async function startTestDevServer(): Promise<DevServer> {
  return (await startDevServerOnFreePorts(tempDir('dev-server'))).server;
}

export interface DevServerInUse {
  readonly server: DevServer;
  readonly connection: Connection;
  readonly client: Client;
}

/**
 * A dev server and a client connected to it for every test of the file: started before them, then
 * the client closed, the server stopped and the file's temp dirs removed. Read its fields inside
 * tests and hooks, not at the file's top level (nothing has started there yet).
 */
export function useDevServer(): DevServerInUse {
  let server: DevServer | undefined;
  let connection: Connection | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    server = await startTestDevServer();
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
  }, 120_000);
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
    removeTempDirs();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the dev server is read before its beforeAll started it');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get connection() {
      return started(connection);
    },
    get client() {
      return started(client);
    },
  };
}

const TRIES = 3;

/**
 * Starts a dev server on ports free a moment ago. Another process may take one in between (the
 * suite runs in parallel): a server that cannot bind its port is started again on fresh ones.
 * Returns the options it started with, for a test that restarts it on the same ports.
 */
export async function startDevServerOnFreePorts(dir: string): Promise<{ server: DevServer; options: DevServerOptions }> {
  for (let attempt = 1; ; attempt++) {
    const options = {
      temporal: toolPaths().temporal,
      dbFile: path.join(dir, 'temporal.db'),
      port: await freePort(),
      uiPort: await freePort(),
      logFile: path.join(dir, `temporal-${attempt}.log`),
    };
    try {
      return { server: await startDevServer(options), options };
    } catch (error) {
      if (attempt === TRIES || !/address already in use/.test(String(error))) throw error;
    }
  }
}
