// What `ferry dev` and the demo run on one machine: the Temporal dev server with its Web UI, an
// embedded PostgreSQL holding a database per environment, and the local environments' state.
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { localTarget, stopLocalEnvironment } from '../../activities/targets/local/local-target';
import type { FerryConfig } from '../../common/config-schema';
import type { EmbeddedPostgres } from '../../scripts/embedded-postgres';
import { startDevServer, type DevServer } from './temporal-dev-server';
import { ensureTools, PROJECT_ROOT } from './tools';

// A plain script (it also runs by hand), so it is loaded from the checkout, not from dist/.
const { startEmbeddedPostgres } = require(path.join(PROJECT_ROOT, 'scripts', 'embedded-postgres.js')) as typeof import('../../scripts/embedded-postgres');

export interface DevServicesOptions {
  /** Where the dev server's SQLite file, the environments' state and the logs go. */
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

/** A database per environment that has one, its URL put in the variable the config names. */
async function createDatabases(postgres: EmbeddedPostgres, configs: FerryConfig[], log: (line: string) => void): Promise<void> {
  const admin = new PgClient({ connectionString: postgres.url() });
  await admin.connect();
  try {
    for (const config of configs) {
      for (const env of config.environments) {
        if (!env.database || process.env[env.database.urlEnv]) continue;
        const name = `${config.app}_${env.name}`.replace(/-/g, '_');
        await admin.query(`CREATE DATABASE "${name}"`);
        process.env[env.database.urlEnv] = postgres.url(name);
        log(`  database ${name} for ${config.app}/${env.name} (${env.database.urlEnv})`);
      }
    }
  } finally {
    await admin.end();
  }
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
  let postgres: EmbeddedPostgres | undefined;
  try {
    options.log('starting PostgreSQL (embedded)');
    postgres = await startEmbeddedPostgres();
    await createDatabases(postgres, options.configs, options.log);
  } catch (error) {
    await postgres?.stop();
    await temporal.stop();
    throw error;
  }
  const pg = postgres;
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
