// A real Temporal dev server (the one `ferry dev` runs) on free ports, for end-to-end tests.
import path from 'node:path';
import { startDevServer, type DevServer, type DevServerOptions } from '../../client/dev/temporal-dev-server';
import { freePort } from './shop';
import { tempDir } from './git-repo';
import { toolPaths } from './tools';

export async function startTestDevServer(): Promise<DevServer> {
  return (await startDevServerOnFreePorts(tempDir('dev-server'))).server;
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
