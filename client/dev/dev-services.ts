// What `ferry dev` and the demo run on one machine: the Temporal dev server with its Web UI, an
// embedded PostgreSQL holding a database per environment, and the local environments' state,
// all kept in the dev folder so that a restart carries on where the last run stopped.
import path from 'node:path';
import { localTarget, stopLocalEnvironment } from '../../activities/targets/local/local-target';
import type { FerryConfig } from '../../common/config-schema';
import type { EmbeddedPostgres } from '../../scripts/embedded-postgres';
import { startDevPostgres } from './dev-postgres';
import { startDevServer, type DevServer } from './temporal-dev-server';
import { ensureTools } from './tools';

export interface DevServicesOptions {
  /** Where the dev server's SQLite file, PostgreSQL's data, the environments' state and the logs go. */
  dir: string;
  port: number;
  uiPort: number;
  /** The apps whose databases to create and whose local environments to stop at the end. */
  configs: FerryConfig[];
  log: (line: string) => void;
}

export interface DevServices {
  temporal: DevServer;
  postgres: EmbeddedPostgres;
  stateDir: string;
  stop(): Promise<void>;
}

/** After a reboot (or a stopped `ferry dev`), the local environments serve what they served before. */
async function resumeLocalEnvironments(configs: FerryConfig[], stateDir: string, log: (line: string) => void): Promise<void> {
  for (const config of configs) {
    for (const env of config.environments) {
      if (env.target.kind !== 'local') continue;
      const where = { app: config.app, environment: env.name, strategy: env.strategy.kind, stateDir };
      // The commit is only read to start a version whose release folder is gone.
      const target = localTarget(env.target, { ...where, source: { repo: config.repo, sha: 'HEAD' } });
      const { stable } = await target.versions();
      if (!stable) continue;
      await target.resume();
      log(`  ${config.app}/${env.name} serves ${stable} on :${env.target.port}`);
    }
  }
}

export async function startDevServices(options: DevServicesOptions): Promise<DevServices> {
  const tools = ensureTools();
  const stateDir = path.resolve(options.dir, 'environments');
  options.log(`starting the Temporal dev server (history in ${path.join(options.dir, 'temporal.db')})`);
  const temporal = await startDevServer({
    temporal: tools.temporal,
    dbFile: path.resolve(options.dir, 'temporal.db'),
    port: options.port,
    uiPort: options.uiPort,
    logFile: path.resolve(options.dir, 'temporal.log'),
  });
  let pg: EmbeddedPostgres;
  try {
    pg = await startDevPostgres({ dir: options.dir, configs: options.configs, log: options.log });
  } catch (error) {
    await temporal.stop();
    throw error;
  }
  await resumeLocalEnvironments(options.configs, stateDir, options.log);
  return {
    temporal,
    postgres: pg,
    stateDir,
    async stop() {
      for (const config of options.configs) {
        for (const env of config.environments) {
          if (env.target.kind === 'local') await stopLocalEnvironment(env.target, { stateDir, app: config.app, environment: env.name });
        }
      }
      await pg.stop();
      await temporal.stop();
    },
  };
}
