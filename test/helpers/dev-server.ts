// A real Temporal dev server (the one `ferry dev` runs) on free ports, for end-to-end tests.
import path from 'node:path';
import { startDevServer, type DevServer } from '../../client/dev/temporal-dev-server';
import { freePort } from './shop';
import { tempDir } from './git-repo';
import { toolPaths } from './tools';

export async function startTestDevServer(): Promise<DevServer> {
  const dir = tempDir('dev-server');
  return startDevServer({
    temporal: toolPaths().temporal,
    dbFile: path.join(dir, 'temporal.db'),
    port: await freePort(),
    uiPort: await freePort(),
    logFile: path.join(dir, 'temporal.log'),
  });
}
