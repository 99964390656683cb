// The DatabaseActivities as a worker runs them: the URL from the worker's environment, migrations
// from the release's own worktree, heartbeats, cancellation, and no password in errors or logs.
import fs from 'node:fs';
import type { Info as ActivityInfo } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { Client } from 'pg';
import { createDatabaseActivities, MIGRATION_LOCK_KEY } from '../../activities/database';
import { withWorktree } from '../../activities/worktree';
import type { DatabaseInput } from '../../common/activity-contracts';
import type { DatabaseConfig } from '../../common/config-schema';
import { FailureType } from '../../common/errors';
import { AUTHORS, removeTempDirs, tempDir, TestRepo } from '../helpers/git-repo';
import { fingerprint, migrationRows, query, reportDuration, passwordOf, startTestPostgres, tableExists, withWrongPassword, type TestPostgres } from '../helpers/postgres';

let pg: TestPostgres;
let repo: TestRepo;
let shas: { first: string; second: string };
let backupDir: string;
const cacheBefore = process.env.FERRY_GIT_CACHE;
const done = reportDuration('database activity tests');

beforeAll(async () => {
  pg = await startTestPostgres();
  process.env.FERRY_GIT_CACHE = tempDir('cache');
  backupDir = tempDir('backups');
  repo = new TestRepo();
  const first = repo.commit('Create orders', AUTHORS.ada, {
    'db/migrations/001_create_orders.up.sql': 'create table orders (id int primary key, total numeric not null);\n',
    'db/migrations/001_create_orders.down.sql': 'drop table orders;\n',
  });
  const second = repo.commit('Add order lines', AUTHORS.grace, {
    'db/migrations/002_create_lines.up.sql': 'create table lines (order_id int references orders, sku text);\ndelete from orders where id > 5;\n',
    'db/migrations/002_create_lines.down.sql': 'drop table lines;\n',
  });
  shas = { first, second };
});

afterAll(async () => {
  await pg?.stop();
  if (cacheBefore === undefined) delete process.env.FERRY_GIT_CACHE;
  else process.env.FERRY_GIT_CACHE = cacheBefore;
  removeTempDirs();
  done();
});

/** Runs an activity the way a worker does, collecting its heartbeats and log lines. */
async function inActivity<R>(work: () => Promise<R>, onHeartbeat?: (details: unknown, env: MockActivityEnvironment) => void, info?: Partial<ActivityInfo>) {
  const heartbeats: unknown[] = [];
  const logs: string[] = [];
  const env = new MockActivityEnvironment(info, {
    logger: new DefaultLogger('INFO', (entry: LogEntry) => logs.push(`${entry.message} ${JSON.stringify(entry.meta ?? {})}`)),
  });
  env.on('heartbeat', (details: unknown) => {
    heartbeats.push(details);
    onHeartbeat?.(details, env);
  });
  const result = await (env.run(work) as Promise<R>).then(
    (value): { value: R | undefined; error: unknown } => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );
  return { ...result, heartbeats, logs };
}

function activities(vars: Record<string, string | undefined>) {
  return createDatabaseActivities({ withWorktree, env: () => ({ ...vars, FERRY_BACKUP_DIR: backupDir }) });
}

function input(promotionId: string, sha: string, database: Partial<DatabaseConfig> = {}): DatabaseInput {
  return {
    promotionId,
    environment: 'staging',
    source: { repo: repo.dir, sha },
    database: { urlEnv: 'STAGING_DATABASE_URL', migrations: 'db/migrations', undo: 'down', ...database },
  };
}

test('a missing URL variable is a non-retryable InvalidInput that names it, for every database activity', async () => {
  const acts = activities({});
  const cases: Array<() => Promise<unknown>> = [
    () => acts.backupDatabase(input('ferry-shop-x', shas.first)),
    () => acts.migrateDatabase(input('ferry-shop-x', shas.first)),
    () => acts.undoMigrations(input('ferry-shop-x', shas.first)),
  ];
  for (const call of cases) {
    const { error } = await inActivity(call);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe(FailureType.InvalidInput);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as ApplicationFailure).message).toContain('STAGING_DATABASE_URL is not set on this worker');
  }
});

test("migrate and undo by down files work on the release's own worktree, heartbeating, with no password in the logs", async () => {
  const url = await pg.createDatabase();
  const acts = activities({ STAGING_DATABASE_URL: url });

  const earlier = await inActivity(() => acts.migrateDatabase(input('ferry-shop-first', shas.first)));
  expect(earlier.value).toMatchObject({ applied: ['001_create_orders'] });
  await query(url, 'insert into orders select i, i from generate_series(1, 10) i');

  const migrated = await inActivity(() => acts.migrateDatabase(input('ferry-shop-second', shas.second)));
  expect(migrated.error).toBeUndefined();
  expect(migrated.value).toMatchObject({ applied: ['002_create_lines'] });
  expect(migrated.heartbeats).toContain('applying 002_create_lines.up.sql');
  expect(migrated.logs.join('\n')).toContain('STAGING_DATABASE_URL = postgres://postgres:***@127.0.0.1');

  const undone = await inActivity(() => acts.undoMigrations(input('ferry-shop-second', shas.second)));
  expect(undone.value).toEqual({ undone: ['002_create_lines'] });
  expect(undone.heartbeats).toContain('undoing 002_create_lines.down.sql');
  expect((await migrationRows(url)).map((r) => r.id)).toEqual(['001_create_orders']);
  expect(await tableExists(url, 'lines')).toBe(false);

  const password = passwordOf(url);
  for (const run of [earlier, migrated, undone]) {
    const everything = JSON.stringify([run.logs, run.heartbeats]);
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(encodeURIComponent(password));
  }
});

test('backup then undo by restore, through the activities, gives back the rows', async () => {
  const url = await pg.createDatabase();
  const acts = activities({ PROD_DATABASE_URL: url });
  const db = { urlEnv: 'PROD_DATABASE_URL', undo: 'restore' as const };
  await inActivity(() => acts.migrateDatabase(input('ferry-shop-first', shas.first, db)));
  await query(url, 'insert into orders select i, i * 2 from generate_series(1, 100) i');
  const before = await fingerprint(url, 'orders');

  const backup = await inActivity(() => acts.backupDatabase(input('ferry-shop-second', shas.second, db)));
  expect(backup.error).toBeUndefined();
  expect(backup.value!.file.startsWith(backupDir)).toBe(true);
  expect(fs.existsSync(backup.value!.file)).toBe(true);

  await inActivity(() => acts.migrateDatabase(input('ferry-shop-second', shas.second, db)));
  expect((await fingerprint(url, 'orders')).rows).toBe(5);

  const restored = await inActivity(() => acts.undoMigrations({ ...input('ferry-shop-second', shas.second, db), backup: backup.value }));
  expect(restored.error).toBeUndefined();
  expect(restored.value).toEqual({ undone: ['002_create_lines'] });
  expect(await fingerprint(url, 'orders')).toEqual(before);
  expect(await tableExists(url, 'lines')).toBe(false);

  const withoutBackup = await inActivity(() => acts.undoMigrations(input('ferry-shop-second', shas.second, db)));
  expect((withoutBackup.error as ApplicationFailure).type).toBe(FailureType.InvalidInput);
  expect((withoutBackup.error as ApplicationFailure).message).toContain('took no backup');
});

/** The activity as a given run of the stage workflow `ferry-shop-second-staging` runs it. */
const inRun = (runId: string) => ({ workflowExecution: { workflowId: 'ferry-shop-second-staging', runId } });

test("a retried promotion (same workflow ID, new run) backs up again and restores its own run's dump, keeping the writes made between the runs", async () => {
  const url = await pg.createDatabase();
  const acts = activities({ PROD_DATABASE_URL: url });
  const db = { urlEnv: 'PROD_DATABASE_URL', undo: 'restore' as const };
  const first = inRun('11111111-1111-4111-8111-111111111111');
  const second = inRun('22222222-2222-4222-8222-222222222222');
  await inActivity(() => acts.migrateDatabase(input('ferry-shop-first', shas.first, db)));
  await query(url, 'insert into orders select i, i from generate_series(1, 10) i');

  // The first run backs up, migrates, fails later and restores its backup.
  const backup1 = await inActivity(() => acts.backupDatabase(input('ferry-shop-second', shas.second, db)), undefined, first);
  expect(backup1.error).toBeUndefined();
  await inActivity(() => acts.migrateDatabase(input('ferry-shop-second', shas.second, db)), undefined, first);
  const undo1 = await inActivity(() => acts.undoMigrations({ ...input('ferry-shop-second', shas.second, db), backup: backup1.value }), undefined, first);
  expect(undo1.value).toEqual({ undone: ['002_create_lines'] });

  // The application keeps writing; then `ferry retry` starts a new run under the same workflow ID.
  await query(url, 'insert into orders select i, i from generate_series(11, 40) i');
  const beforeRetry = await fingerprint(url, 'orders');
  expect(beforeRetry.rows).toBe(40);

  const backup2 = await inActivity(() => acts.backupDatabase(input('ferry-shop-second', shas.second, db)), undefined, second);
  expect(backup2.error).toBeUndefined();
  expect(backup2.value!.file).not.toBe(backup1.value!.file);
  expect(backup2.value!.sha256).not.toBe(backup1.value!.sha256);
  await inActivity(() => acts.migrateDatabase(input('ferry-shop-second', shas.second, db)), undefined, second);
  expect((await fingerprint(url, 'orders')).rows).toBe(5);

  // A retry of the backup activity within the second run gets the same backup, not a new one.
  const again = await inActivity(() => acts.backupDatabase(input('ferry-shop-second', shas.second, db)), undefined, second);
  expect(again.value).toEqual(backup2.value);

  // The second run's restore refuses the first run's backup, loudly and for good ...
  const stale = await inActivity(() => acts.undoMigrations({ ...input('ferry-shop-second', shas.second, db), backup: backup1.value }), undefined, second);
  expect(stale.error).toBeInstanceOf(ApplicationFailure);
  expect((stale.error as ApplicationFailure).nonRetryable).toBe(true);
  expect((stale.error as ApplicationFailure).message).toMatch(/taken by another run/);
  expect((await fingerprint(url, 'orders')).rows).toBe(5);

  // ... and restores its own: every write made before the retry is back.
  const undo2 = await inActivity(() => acts.undoMigrations({ ...input('ferry-shop-second', shas.second, db), backup: backup2.value }), undefined, second);
  expect(undo2.error).toBeUndefined();
  expect(undo2.value).toEqual({ undone: ['002_create_lines'] });
  expect(await fingerprint(url, 'orders')).toEqual(beforeRetry);
});

test('FERRY_BACKUP_KEEP is checked where it is read: a bad value is a non-retryable InvalidInput naming it', async () => {
  const url = await pg.createDatabase();
  for (const bad of ['0', 'ten', '2.5']) {
    const { error } = await inActivity(() => activities({ STAGING_DATABASE_URL: url, FERRY_BACKUP_KEEP: bad }).backupDatabase(input('ferry-shop-keep', shas.first)));
    expect((error as ApplicationFailure).type).toBe(FailureType.InvalidInput);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as ApplicationFailure).message).toContain(`FERRY_BACKUP_KEEP "${bad}"`);
  }
});

test('a wrong password fails without showing it', async () => {
  const url = await pg.createDatabase();
  const password = passwordOf(url);
  const { error, logs } = await inActivity(() => activities({ STAGING_DATABASE_URL: withWrongPassword(url) }).migrateDatabase(input('ferry-shop-x', shas.first)));

  expect(error).toBeInstanceOf(ApplicationFailure);
  const failure = error as ApplicationFailure;
  expect(failure.message).toMatch(/password authentication failed/);
  expect(failure.nonRetryable).toBeFalsy(); // a rotated secret may be fixed by the next attempt
  for (const text of [failure.message, failure.stack ?? '', JSON.stringify(logs)]) {
    expect(text).not.toContain(password);
    expect(text).not.toContain(encodeURIComponent(password));
  }
});

test('a migrations folder outside the repository is refused', async () => {
  const { error } = await inActivity(() => activities({ STAGING_DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/db' }).migrateDatabase(input('ferry-shop-x', shas.first, { migrations: '../../etc' })));
  expect((error as ApplicationFailure).type).toBe(FailureType.InvalidInput);
  expect((error as ApplicationFailure).message).toContain('must be a folder inside the repository');
});

test('cancelling a migration that waits on the lock stops waiting and leaves the lock holder alone', async () => {
  const url = await pg.createDatabase();
  const holder = new Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const acts = activities({ STAGING_DATABASE_URL: url });
    const { error, heartbeats } = await inActivity(
      () => acts.migrateDatabase(input('ferry-shop-x', shas.first)),
      (details, env) => {
        if (String(details).startsWith('waiting for another Ferry migration')) env.cancel();
      },
    );
    expect(heartbeats.some((h) => String(h).startsWith('waiting for another Ferry migration'))).toBe(true);
    expect(error).toBeInstanceOf(CancelledFailure);
    await eventually(async () => {
      const [row] = await query<{ n: number }>(url, `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`);
      return row.n === 0;
    });
    expect(await migrationRows(url)).toEqual([]);
  } finally {
    await holder.end();
  }
});

async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
