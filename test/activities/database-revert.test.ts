// A rollback's database step against a real PostgreSQL, through the activity as a worker runs it:
// back to what an older release expects, by the live release's down files or by restoring the
// backup taken before the newer release's migrations. Both must leave the older release's schema and data.
import fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDatabaseActivities } from '../../activities/database';
import { withWorktree } from '../../activities/worktree';
import type { BackupResult, DatabaseInput, RevertDatabaseInput } from '../../common/activity-contracts';
import type { DatabaseConfig } from '../../common/config-schema';
import { FailureType } from '../../common/errors';
import { AUTHORS, removeTempDirs, tempDir, TestRepo } from '../helpers/git-repo';
import { fingerprint, migrationRows, query, reportDuration, startTestPostgres, type TestPostgres } from '../helpers/postgres';

let pg: TestPostgres;
let repo: TestRepo;
let backupDir: string;
/** older: what the rollback goes back to; newer: live, with two more migrations; noDown: like newer, without 003's down file. */
let shas: { older: string; newer: string; noDown: string };
const cacheBefore = process.env.FERRY_GIT_CACHE;
const done = reportDuration('database revert tests');

beforeAll(async () => {
  pg = await startTestPostgres();
  process.env.FERRY_GIT_CACHE = tempDir('cache');
  backupDir = tempDir('backups');
  repo = new TestRepo();
  const older = repo.commit('Orders', AUTHORS.ada, {
    'db/migrations/001_create_orders.up.sql': 'create table orders (id int primary key, total numeric(10, 2) not null);\n',
    'db/migrations/001_create_orders.down.sql': 'drop table orders;\n',
  });
  const newer = repo.commit('Currencies and order lines', AUTHORS.grace, {
    'db/migrations/002_add_currency.up.sql': "alter table orders add column currency text not null default 'EUR';\n",
    'db/migrations/002_add_currency.down.sql': 'alter table orders drop column currency;\n',
    'db/migrations/003_create_lines.up.sql': 'create table lines (order_id int references orders, sku text not null);\n',
    'db/migrations/003_create_lines.down.sql': 'drop table lines;\n',
  });
  repo.git(['rm', '--quiet', 'db/migrations/003_create_lines.down.sql']);
  repo.git(['commit', '--quiet', '-m', 'No way back from lines'], AUTHORS.grace);
  shas = { older, newer, noDown: repo.head() };
});

afterAll(async () => {
  await pg?.stop();
  if (cacheBefore === undefined) delete process.env.FERRY_GIT_CACHE;
  else process.env.FERRY_GIT_CACHE = cacheBefore;
  removeTempDirs();
  done();
});

/** Runs an activity as a worker would, in the stage run `runId`. */
async function inActivity<R>(work: () => Promise<R>, runId = 'run-of-the-rollback'): Promise<{ value?: R; error?: unknown }> {
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'ferry-shop-x-staging', runId } });
  return (env.run(work) as Promise<R>).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

function activities(url: string) {
  return createDatabaseActivities({ withWorktree, env: () => ({ STAGING_DATABASE_URL: url, FERRY_BACKUP_DIR: backupDir }) });
}

const database = (undo: DatabaseConfig['undo']): DatabaseConfig => ({ urlEnv: 'STAGING_DATABASE_URL', migrations: 'db/migrations', undo });

function stageInput(promotionId: string, sha: string, undo: DatabaseConfig['undo']): DatabaseInput {
  return { app: 'shop', promotionId, environment: 'staging', source: { repo: repo.dir, sha }, database: database(undo) };
}

function revertInput(to: string, live: string, undo: DatabaseConfig['undo'], restore?: BackupResult): RevertDatabaseInput {
  return { ...stageInput('ferry-shop-rollback-staging-x', to, undo), live: { repo: repo.dir, sha: live }, ...(restore ? { restore } : {}) };
}

/** Every column of every table (schema_migrations's rows listed apart) and the orders' rows: equal snapshots, equal databases. */
async function snapshot(url: string) {
  const columns = await query(
    url,
    `select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns
      where table_schema = 'public' order by table_name, column_name`,
  );
  return { columns, migrations: (await migrationRows(url)).map((r) => r.id), orders: await fingerprint(url, 'orders') };
}

/** The older release live with 200 orders, as it was; then the newer one promoted over it, with a backup before its migrations. */
async function newerOverOlder(undo: DatabaseConfig['undo']) {
  const url = await pg.createDatabase();
  const acts = activities(url);
  expect((await inActivity(() => acts.migrateDatabase(stageInput('ferry-shop-older', shas.older, undo)))).error).toBeUndefined();
  await query(url, 'insert into orders select i, (i * 3.7) % 400 from generate_series(1, 200) i');
  const older = await snapshot(url);
  const backup = await inActivity(() => acts.backupDatabase(stageInput('ferry-shop-newer', shas.newer, undo)), 'run-of-the-newer-promotion');
  expect(backup.error).toBeUndefined();
  const migrated = await inActivity(() => acts.migrateDatabase(stageInput('ferry-shop-newer', shas.newer, undo)));
  expect(migrated.value).toEqual({
    applied: ['002_add_currency', '003_create_lines'],
    migrations: ['001_create_orders', '002_add_currency', '003_create_lines'],
  });
  // The newer release at work: its own columns and tables get data.
  await query(url, "update orders set currency = 'USD' where id % 7 = 0");
  await query(url, "insert into lines select id, 'sku-' || id from orders where id <= 50");
  return { url, acts, older, backupBefore: backup.value! };
}

test('by down files: the migrations the older release does not have are undone newest first, leaving its schema and data', async () => {
  const { url, acts, older } = await newerOverOlder('down');

  const reverted = await inActivity(() => acts.revertDatabase(revertInput(shas.older, shas.newer, 'down')));

  expect(reverted.error).toBeUndefined();
  expect(reverted.value).toEqual({ reverted: ['003_create_lines', '002_add_currency'], migrations: ['001_create_orders'] });
  expect(await snapshot(url)).toEqual(older);
  // Again (a retried activity): nothing left to undo, nothing changes.
  expect((await inActivity(() => acts.revertDatabase(revertInput(shas.older, shas.newer, 'down')))).value).toEqual({
    reverted: [],
    migrations: ['001_create_orders'],
  });
  expect(await snapshot(url)).toEqual(older);
});

test('by down files: back to a newer release (after a rollback from it) takes nothing out and applies the migrations the database lacks from its own folder', async () => {
  const { url, acts } = await newerOverOlder('down');
  expect((await inActivity(() => acts.revertDatabase(revertInput(shas.older, shas.newer, 'down')))).error).toBeUndefined();

  // The older release live again; the next rollback's default target is the newer one.
  const forward = await inActivity(() => acts.revertDatabase(revertInput(shas.newer, shas.older, 'down')));

  expect(forward.error).toBeUndefined();
  expect(forward.value).toEqual({ reverted: [], applied: ['002_add_currency', '003_create_lines'], migrations: ['001_create_orders', '002_add_currency', '003_create_lines'] });
  expect((await snapshot(url)).columns).toEqual(
    expect.arrayContaining([expect.objectContaining({ table_name: 'orders', column_name: 'currency' }), expect.objectContaining({ table_name: 'lines', column_name: 'sku' })]),
  );
  expect((await migrationRows(url)).filter((r) => r.id !== '001_create_orders').map((r) => r.promotion)).toEqual(['ferry-shop-rollback-staging-x', 'ferry-shop-rollback-staging-x']);
  // Again: nothing to take out, nothing to apply.
  expect((await inActivity(() => acts.revertDatabase(revertInput(shas.newer, shas.older, 'down')))).value).toEqual({
    reverted: [],
    migrations: ['001_create_orders', '002_add_currency', '003_create_lines'],
  });
});

test('by down files: a missing down file refuses the revert, naming it, before anything is undone', async () => {
  const { url, acts } = await newerOverOlder('down');
  const before = await snapshot(url);

  const { error } = await inActivity(() => acts.revertDatabase(revertInput(shas.older, shas.noDown, 'down')));

  expect(error).toBeInstanceOf(ApplicationFailure);
  expect((error as ApplicationFailure).nonRetryable).toBe(true);
  expect((error as ApplicationFailure).message).toMatch(/^cannot roll the database back by down migrations: 003_create_lines\.down\.sql missing in .*; nothing was changed$/);
  expect(await snapshot(url)).toEqual(before);
});

test('by restore: the backup taken before the newer release migrated is put back, by another run, leaving the older schema and data', async () => {
  const { url, acts, older, backupBefore } = await newerOverOlder('restore');

  const reverted = await inActivity(() => acts.revertDatabase(revertInput(shas.older, shas.newer, 'restore', backupBefore)));

  expect(reverted.error).toBeUndefined();
  expect(reverted.value).toEqual({ reverted: ['003_create_lines', '002_add_currency'], migrations: ['001_create_orders'] });
  expect(await snapshot(url)).toEqual(older);
  // A write after the rollback survives a retry of it: with nothing to revert, nothing is restored.
  await query(url, 'insert into orders values (1001, 9.99)');
  const again = await inActivity(() => acts.revertDatabase(revertInput(shas.older, shas.newer, 'restore', backupBefore)));
  expect(again.value).toEqual({ reverted: [], migrations: ['001_create_orders'] });
  expect((await fingerprint(url, 'orders')).rows).toBe(201);
});

test('by restore: the rollback’s own backup before it, pruned to FERRY_BACKUP_KEEP=1, keeps the backup it is about to restore', async () => {
  const { url, older, backupBefore } = await newerOverOlder('restore');
  const keepOne = createDatabaseActivities({ withWorktree, env: () => ({ STAGING_DATABASE_URL: url, FERRY_BACKUP_DIR: backupDir, FERRY_BACKUP_KEEP: '1' }) });
  const rollbackInput = { ...stageInput('ferry-shop-rollback-staging-x', shas.older, 'restore'), keepBackup: backupBefore.file };

  const own = await inActivity(() => keepOne.backupDatabase(rollbackInput), 'run-of-the-rollback');
  expect(own.error).toBeUndefined();
  expect(fs.existsSync(own.value!.file)).toBe(true);
  expect(fs.existsSync(backupBefore.file)).toBe(true);

  const reverted = await inActivity(() => keepOne.revertDatabase(revertInput(shas.older, shas.newer, 'restore', backupBefore)));
  expect(reverted.error).toBeUndefined();
  expect(await snapshot(url)).toEqual(older);
  // The next backup, protecting nothing, keeps only itself.
  const next = await inActivity(() => keepOne.backupDatabase(stageInput('ferry-shop-next', shas.older, 'restore')), 'run-of-the-next');
  expect(fs.existsSync(backupBefore.file)).toBe(false);
  expect(fs.existsSync(next.value!.file)).toBe(true);
});

test('by restore: a backup that is gone, changed or not recorded is refused naming why, and nothing changes', async () => {
  const { url, acts, backupBefore } = await newerOverOlder('restore');
  const before = await snapshot(url);
  const refusal = async (restore: BackupResult | undefined) => {
    const { error } = await inActivity(() => acts.revertDatabase(revertInput(shas.older, shas.newer, 'restore', restore)));
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    return (error as ApplicationFailure).message;
  };

  expect(await refusal({ ...backupBefore, sha256: '0'.repeat(64) })).toMatch(/has changed since it was taken .*nothing was changed$/);
  expect(await refusal(undefined)).toMatch(/^the undo policy is "restore" but no backup taken before the migrations to revert is recorded/);
  expect(await refusal({ ...backupBefore, file: '/etc/passwd' })).toBe('/etc/passwd is not the name of a Ferry backup; refusing to restore it, nothing was changed');
  fs.rmSync(backupBefore.file);
  const gone = await refusal(backupBefore);
  expect(gone).toMatch(/is no longer in this worker's backup folder .* \(FERRY_BACKUP_DIR\)/);
  expect(gone).toMatch(/nothing was changed$/);
  expect((await inActivity(() => acts.revertDatabase(revertInput(shas.older, shas.newer, 'restore', undefined)))).error).toMatchObject({
    type: FailureType.InvalidInput,
  });
  expect(await snapshot(url)).toEqual(before);
});
