import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { databaseActivities } from '../../activities/database';
import { build, test as runTests } from '../../activities/commands';
import { resolveCommit } from '../../activities/git';
import { samplePlan } from '../helpers/fixtures';
import { AUTHORS, removeTempDirs, TestRepo } from '../helpers/git-repo';
import { migrationRows, startTestPostgres, tableExists, type TestPostgres } from '../helpers/postgres';
import { environment, runPromotion } from '../helpers/promotions';
import { stubActivities, unhealthy } from '../helpers/stub-activities';
import { startTimeSkippingServer } from '../helpers/temporal-env';

// The stage workflow with everything before the deploy real: git, build and test commands,
// PostgreSQL backup, migrate and undo. Only the deployment target is stubbed.

let env: TestWorkflowEnvironment;
let postgres: TestPostgres;
beforeAll(async () => {
  [env, postgres] = await Promise.all([startTimeSkippingServer(), startTestPostgres()]);
});
afterAll(async () => {
  await Promise.all([env?.teardown(), postgres?.stop()]);
  removeTempDirs();
});

function releaseWithMigrations() {
  const repo = new TestRepo();
  const sha = repo.commit('Add orders', AUTHORS.ada, {
    'migrations/001_create_orders.up.sql': 'create table orders (id serial primary key, total int not null);',
    'migrations/001_create_orders.down.sql': 'drop table orders;',
    'migrations/002_add_customers.up.sql': 'create table customers (id serial primary key, name text);',
    'migrations/002_add_customers.down.sql': 'drop table customers;',
  });
  return { repo, sha };
}

async function promoteToDev(analysisHealthy: boolean) {
  const { repo, sha } = releaseWithMigrations();
  const url = await postgres.createDatabase();
  process.env.FERRY_IT_DATABASE_URL = url;
  const stub = stubActivities({
    resolveCommit,
    build,
    test: runTests,
    ...databaseActivities(),
    analyze: async () => (analysisHealthy ? { healthy: true, reasons: [], metrics: {} } : unhealthy('error rate 20% > 1%')),
  });
  const plan = samplePlan(
    (config) => {
      config.repo = repo.dir;
      config.build = { command: 'test -d migrations', timeout: 60_000, passEnv: [] };
      config.test = { command: 'true', timeout: 60_000, passEnv: [] };
      const dev = config.environments[1]; // the canary environment of the sample
      config.environments = [{ ...dev, name: 'dev', backup: true, database: { urlEnv: 'FERRY_IT_DATABASE_URL', migrations: 'migrations', undo: 'down' } }];
    },
    { sha },
  );
  const { status } = await runPromotion(env, stub.activities, plan);
  return { status, url, stub };
}

test('a stage migrates a real database and keeps the changes when the release is healthy', async () => {
  const { status, url } = await promoteToDev(true);

  expect(status.state).toBe('succeeded');
  expect((await migrationRows(url)).map((r) => r.id)).toEqual(['001_create_orders', '002_add_customers']);
  expect(await tableExists(url, 'orders')).toBe(true);
  expect(environment(status, 'dev').steps.find((s) => s.name === 'migrate')?.detail).toMatch(/001_create_orders, 002_add_customers/);
  expect(environment(status, 'dev').steps.find((s) => s.name === 'backup')?.detail).toMatch(/bytes, sha256/);
});

test('a failed canary rolls back and runs the real down migrations', async () => {
  const { status, url, stub } = await promoteToDev(false);

  expect(environment(status, 'dev').state).toBe('rolled-back');
  expect(stub.callsTo('rollback', 'dev')).toHaveLength(1);
  expect(await migrationRows(url)).toEqual([]);
  expect(await tableExists(url, 'orders')).toBe(false);
  expect(await tableExists(url, 'customers')).toBe(false);
});
