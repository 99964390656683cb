// `ferry dev`'s PostgreSQL: the embedded server with a database per environment that has one.
import path from 'node:path';
import { Client as PgClient } from 'pg';
import type { FerryConfig } from '../../common/config-schema';
import type { EmbeddedPostgres } from '../../scripts/embedded-postgres';
import { PROJECT_ROOT } from './tools';

// A plain script (it also runs by hand), so it is loaded from the checkout, not from dist/.
const { startEmbeddedPostgres } = require(path.join(PROJECT_ROOT, 'scripts', 'embedded-postgres.js')) as typeof import('../../scripts/embedded-postgres');

export interface DevPostgresOptions {
  /** The dev folder. */
  dir: string;
  configs: FerryConfig[];
  log: (line: string) => void;
  /** Where the databases' URLs are put, under the names the configs give (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The server keeps its data in <dir>/postgres, like the dev server's SQLite file: after a restart
 * the apps' tables and rows are there and their migrations are not applied again.
 */
export async function startDevPostgres(options: DevPostgresOptions): Promise<EmbeddedPostgres> {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dir, 'postgres');
  options.log(`starting PostgreSQL (embedded, data in ${dataDir})`);
  const postgres = await startEmbeddedPostgres({ dataDir });
  try {
    await createDatabases(postgres, options.configs, env, options.log);
  } catch (error) {
    await postgres.stop();
    throw error;
  }
  return postgres;
}

/** A database per environment that has one (made once, found again after a restart), its URL put in the variable the config names. */
async function createDatabases(postgres: EmbeddedPostgres, configs: FerryConfig[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const admin = new PgClient({ connectionString: postgres.url() });
  await admin.connect();
  try {
    for (const config of configs) {
      for (const environment of config.environments) {
        if (!environment.database || env[environment.database.urlEnv]) continue;
        const name = `${config.app}_${environment.name}`.replace(/-/g, '_');
        const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
        if (!rowCount) await admin.query(`CREATE DATABASE "${name}"`);
        env[environment.database.urlEnv] = postgres.url(name);
        log(`  database ${name} for ${config.app}/${environment.name} (${environment.database.urlEnv})${rowCount ? ', kept from the last run' : ''}`);
      }
    }
  } finally {
    await admin.end();
  }
}
