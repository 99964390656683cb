// Backups and restores against a real PostgreSQL with the real pg_dump / pg_restore / psql.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { applyMigrations, backupDatabase, backupPath, resolvePgTools, restoreBackup } from '../../activities/database';
import { FailureType } from '../../common/errors';
import { fingerprint, migrationFolder, migrationRows, query, reportDuration, startTestPostgres, tableExists, passwordOf, withWrongPassword, type TestPostgres } from '../helpers/postgres';
import { failureOf } from '../helpers/failures';

let pg: TestPostgres;
let backupDir: string;
const done = reportDuration('database backup tests');
beforeAll(async () => {
  pg = await startTestPostgres();
  backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-backups-test-'));
  const tools = resolvePgTools(15);
  console.info(`database backup tests run against ${pg.description} with pg_dump ${tools.version} (${tools.pgDump})`);
});
afterAll(async () => {
  await pg?.stop();
  if (backupDir) fs.rmSync(backupDir, { recursive: true, force: true });
  done();
});

const SHOP = {
  '001_create_shop.up.sql': `
    create table customers (id int primary key, name text not null);
    create table orders (id int primary key, customer_id int not null references customers, total numeric(10, 2) not null, note text);
  `,
};

/** A shop with 50 customers and 1,000 orders, migrated by an earlier promotion. */
async function shopDatabase(): Promise<string> {
  const url = await pg.createDatabase();
  await applyMigrations(url, migrationFolder(SHOP).dir, 'ferry-shop-earlier');
  await query(url, `insert into customers select i, 'customer ' || i from generate_series(1, 50) i`);
  await query(url, `insert into orders select i, 1 + i % 50, (i * 7.31) % 500, md5(i::text) from generate_series(1, 1000) i`);
  return url;
}

test('backup → destructive migration → restore gives back exactly the rows, and nothing the migration made', async () => {
  const url = await shopDatabase();
  const before = { orders: await fingerprint(url, 'orders'), customers: await fingerprint(url, 'customers') };
  expect(before.orders.rows).toBe(1000);

  const backup = await backupDatabase(url, { dir: backupDir, ...runKey('shop', 'staging', 'ferry-shop-1234567') });
  expect(backup.file).toBe(path.join(backupDir, 'shop', 'staging', `ferry-shop-1234567--${backup.runId}.dump`));
  expect(backup.bytes).toBe(fs.statSync(backup.file).size);
  expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(fs.statSync(backup.file).mode & 0o777).toBe(0o600);

  const destructive = migrationFolder({
    ...SHOP,
    '002_reshape.up.sql': `
      delete from orders where id % 3 = 0;
      update orders set total = 0 where id % 5 = 0;
      alter table orders drop column note;
      alter table orders drop constraint orders_customer_id_fkey;
      drop table customers;
      create schema reporting;
      create table reporting.daily (day date primary key);
      create type order_state as enum ('new', 'paid');
      alter table orders add column state order_state not null default 'new';
      create table audit (id serial primary key, what text);
      insert into audit (what) select 'reshaped' from generate_series(1, 10);
      create function order_count() returns bigint language sql as 'select count(*) from orders';
      create view big_orders as select * from orders where total > 400;
    `,
  });
  expect(await applyMigrations(url, destructive.dir, 'ferry-shop-1234567')).toMatchObject({ applied: ['002_reshape'] });
  expect((await fingerprint(url, 'orders')).rows).toBe(667);

  expect(await restoreBackup(url, backup, { dir: backupDir, promotionId: 'ferry-shop-1234567', runId: backup.runId! })).toEqual({ undone: ['002_reshape'] });

  expect(await fingerprint(url, 'orders')).toEqual(before.orders);
  expect(await fingerprint(url, 'customers')).toEqual(before.customers);
  for (const gone of ['audit', 'big_orders', 'reporting.daily']) expect(await tableExists(url, gone)).toBe(false);
  expect(await query(url, `select count(*)::int as n from pg_type where typname = 'order_state'`)).toEqual([{ n: 0 }]);
  expect(await query(url, `select count(*)::int as n from pg_proc where proname = 'order_count'`)).toEqual([{ n: 0 }]);
  expect(await query(url, `select count(*)::int as n from pg_namespace where nspname = 'reporting'`)).toEqual([{ n: 0 }]);
  expect((await migrationRows(url)).map((r) => [r.id, r.promotion])).toEqual([['001_create_shop', 'ferry-shop-earlier']]);
  // The foreign key came back with the table.
  await expect(query(url, 'insert into orders values (5000, 999, 1, null)')).rejects.toThrow(/foreign key/);

  // Nothing is left over: the same migration applies cleanly again.
  expect(await applyMigrations(url, destructive.dir, 'ferry-shop-7654321')).toMatchObject({ applied: ['002_reshape'] });
});

test('restoring a backup taken before the very first migration removes schema_migrations too', async () => {
  const url = await pg.createDatabase();
  await query(url, `create table legacy (id int primary key, payload text)`);
  await query(url, `insert into legacy select i, repeat('x', i % 17) from generate_series(1, 200) i`);
  const before = await fingerprint(url, 'legacy');
  const backup = await backupDatabase(url, { dir: backupDir, ...runKey('legacy', 'production', 'ferry-legacy-aaaaaaa') });

  const first = migrationFolder({
    '001_split_legacy.up.sql': 'create table archive as select * from legacy where id > 100;\ndelete from legacy where id > 100;\n',
  });
  await applyMigrations(url, first.dir, 'ferry-legacy-aaaaaaa');

  expect(await restoreBackup(url, backup, { dir: backupDir, promotionId: 'ferry-legacy-aaaaaaa', runId: backup.runId! })).toEqual({ undone: ['001_split_legacy'] });
  expect(await fingerprint(url, 'legacy')).toEqual(before);
  expect(await tableExists(url, 'archive')).toBe(false);
  expect(await tableExists(url, 'schema_migrations')).toBe(false);
});

test('a backup is made once per run: another call of the same run returns it without dumping again', async () => {
  const url = await shopDatabase();
  const options = { dir: backupDir, ...runKey('shop', 'production', 'ferry-shop-idempot') };
  const first = await backupDatabase(url, options);
  const stat = fs.statSync(first.file);

  await query(url, `insert into customers values (51, 'after the backup')`);
  const second = await backupDatabase(url, options);

  expect(second).toEqual(first);
  const again = fs.statSync(second.file);
  expect([again.ino, again.mtimeMs]).toEqual([stat.ino, stat.mtimeMs]);
  expect(fs.readdirSync(path.dirname(first.file)).filter((f) => f.endsWith('.partial'))).toEqual([]);

  // Another environment of the same run is another file, and so is another run of the same promotion.
  const other = await backupDatabase(url, { ...options, environment: 'staging' });
  expect(other.file).not.toBe(first.file);
  expect(other.sha256).not.toBe(first.sha256);
  const retried = await backupDatabase(url, { ...options, runId: runKey('shop', 'production').runId });
  expect(retried.file).not.toBe(first.file);
  expect(retried.sha256).not.toBe(first.sha256);
});

test('backup paths are safe and distinct', () => {
  const run = '0b1e2c3d-0000-4000-8000-000000000001';
  const key = { app: 'shop', environment: 'staging', promotionId: 'ferry-shop-abc1234', runId: run };
  expect(backupPath(key)).toBe(path.join('shop', 'staging', `ferry-shop-abc1234--${run}.dump`));
  const odd = backupPath({ ...key, app: '../../etc', environment: 'a/b', promotionId: '../passwd' });
  expect(odd.split(path.sep)).toHaveLength(3);
  expect(odd.split(path.sep).every((part) => !part.startsWith('.'))).toBe(true);
  expect(backupPath({ ...key, app: 'a--b' })).not.toBe(backupPath({ ...key, app: 'a_b' }));
  expect(() => backupPath({ ...key, runId: '../x' })).toThrow(/not a workflow run ID/);
});

test('a restore that fails part-way changes nothing: the drops and the restore are one transaction', async () => {
  const url = await shopDatabase();
  const backup = await backupDatabase(url, { dir: backupDir, ...runKey('shop', 'staging', 'ferry-shop-atomic') });
  await applyMigrations(url, migrationFolder({ ...SHOP, '002_more.up.sql': 'delete from orders where id > 10;\ncreate table extra (id int);\n' }).dir, 'ferry-shop-atomic');
  const after = await fingerprint(url, 'orders');

  // A psql that runs the whole restore, then one more statement that fails.
  const real = resolvePgTools(15);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-pg-bin-'));
  fs.symlinkSync(real.pgDump, path.join(bin, 'pg_dump'));
  fs.symlinkSync(real.pgRestore, path.join(bin, 'pg_restore'));
  fs.writeFileSync(path.join(bin, 'psql'), `#!/bin/sh\nexec '${real.psql}' "$@" --command='select 1/0'\n`, { mode: 0o755 });
  process.env.FERRY_PG_BIN_DIR = bin;
  try {
    await expect(restoreBackup(url, backup, { dir: backupDir, promotionId: 'ferry-shop-atomic', runId: backup.runId! })).rejects.toThrow(/psql failed .*division by zero/s);
  } finally {
    delete process.env.FERRY_PG_BIN_DIR;
    fs.rmSync(bin, { recursive: true, force: true });
  }
  expect(await fingerprint(url, 'orders')).toEqual(after);
  expect(await tableExists(url, 'extra')).toBe(true);
  expect((await migrationRows(url)).map((r) => r.id)).toEqual(['001_create_shop', '002_more']);

  // And with the real psql it goes through.
  expect(await restoreBackup(url, backup, { dir: backupDir, promotionId: 'ferry-shop-atomic', runId: backup.runId! })).toEqual({ undone: ['002_more'] });
  expect((await fingerprint(url, 'orders')).rows).toBe(1000);
});

test('a backup whose checksum no longer matches is refused, and the database is left alone', async () => {
  const url = await shopDatabase();
  const backup = await backupDatabase(url, { dir: backupDir, ...runKey('shop', 'staging', 'ferry-shop-tamper') });
  await applyMigrations(url, migrationFolder({ ...SHOP, '002_trim.up.sql': 'delete from orders where id > 10;' }).dir, 'ferry-shop-tamper');

  const failure = await failureOf(restoreBackup(url, { ...backup, sha256: '0'.repeat(64) }, { dir: backupDir, promotionId: 'ferry-shop-tamper', runId: backup.runId! }));
  expect(failure.type).toBe(FailureType.ChecksumDrift);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(backup.file);
  expect((await fingerprint(url, 'orders')).rows).toBe(10);
});

test("with none of this promotion's migrations applied there is nothing to undo, and later writes are kept", async () => {
  const url = await shopDatabase();
  const backup = await backupDatabase(url, { dir: backupDir, ...runKey('shop', 'staging', 'ferry-shop-nothing') });
  await query(url, `insert into customers values (51, 'written after the backup')`);

  expect(await restoreBackup(url, backup, { dir: backupDir, promotionId: 'ferry-shop-nothing', runId: backup.runId! })).toEqual({ undone: [] });
  expect((await fingerprint(url, 'customers')).rows).toBe(51);
});

test('backups use the password from the URL without putting it in any message', async () => {
  const url = await pg.createDatabase();
  const password = passwordOf(url);
  expect(password.length).toBeGreaterThan(3);
  const error = (await backupDatabase(withWrongPassword(url), { dir: backupDir, ...runKey('pw', 'staging', 'ferry-pw') }).catch((e: Error) => e)) as Error;
  expect(error.message).toMatch(/password authentication failed/);
  expect(error.message).not.toContain(password);
  expect(error.message).not.toContain(encodeURIComponent(password));
});

test('pg_dump gets the password through PGPASSWORD, never on its command line', async () => {
  const url = await pg.createDatabase();
  const real = resolvePgTools(15);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-pg-bin-'));
  const record = path.join(bin, 'calls.txt');
  fs.writeFileSync(path.join(bin, 'pg_dump'), `#!/bin/sh\nprintf '%s\\n' "args: $*" "PGPASSWORD set: \${PGPASSWORD:+yes}" >> '${record}'\nexec '${real.pgDump}' "$@"\n`, { mode: 0o755 });
  fs.symlinkSync(real.pgRestore, path.join(bin, 'pg_restore'));
  fs.symlinkSync(real.psql, path.join(bin, 'psql'));
  process.env.FERRY_PG_BIN_DIR = bin;
  try {
    await backupDatabase(url, { dir: backupDir, ...runKey('argv', 'staging', 'ferry-argv') });
    const calls = fs.readFileSync(record, 'utf8');
    expect(calls).toContain('args: --format=custom --no-password --file=');
    expect(calls).toContain('PGPASSWORD set: yes');
    expect(calls).not.toContain(passwordOf(url));
    expect(calls).not.toContain(encodeURIComponent(passwordOf(url)));
  } finally {
    delete process.env.FERRY_PG_BIN_DIR;
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test('a pg_dump older than the server is refused with what to install', () => {
  let error: ApplicationFailure | undefined;
  try {
    resolvePgTools(99);
  } catch (e) {
    error = e as ApplicationFailure;
  }
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect(error!.type).toBe(FailureType.NotAvailable);
  expect(error!.message).toMatch(/pg_dump, pg_restore and psql must be at least version 99, and this worker has .*pg_dump 15\.\d+/);
  expect(error!.message).toContain('apt-get install postgresql-client-99');
});

// ---------------------------------------------------------------------------------------------
// Housekeeping: half-written dumps of killed workers, a bounded number of backups, and a restore
// on a worker that does not have the file.

let runs = 0;
/** A backup key as a stage run would give it: a fresh run ID each call. */
function runKey(app: string, environment: string, promotionId = `ferry-${app}-1234567`) {
  return { app, environment, promotionId, runId: `00000000-0000-4000-8000-${String(++runs).padStart(12, '0')}` };
}

const dumpsIn = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.dump'))
    .sort();

test('a backup starts by removing the half-written dumps of attempts that are gone, and leaves a live one alone', async () => {
  const url = await shopDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-backups-partial-'));
  const first = await backupDatabase(url, { dir, ...runKey('shop', 'production') });
  const folder = path.dirname(first.file);

  // A worker killed in pg_dump leaves <final>.<pid>@<host>.partial; the writer of `dead` is gone.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  const host = os.hostname().replace(/[^A-Za-z0-9-]/g, '_');
  const deadWriter = path.join(folder, `x--dead.dump.${dead}@${host}.partial`);
  const oldOne = path.join(folder, `x--old.dump.${process.pid}@elsewhere.partial`);
  const live = path.join(folder, `x--live.dump.${process.pid}@${host}.partial`);
  const legacy = path.join(dir, 'ferry-shop-1234567--production.dump.4242-abcd.partial');
  for (const file of [deadWriter, oldOne, live, legacy]) fs.writeFileSync(file, 'PGDMP half');
  const anHourAgo = new Date(Date.now() - 3_600_000);
  fs.utimesSync(oldOne, anHourAgo, anHourAgo);
  fs.utimesSync(legacy, anHourAgo, anHourAgo);
  // Being written right now by this (live) process: newer than the attempt that starts below.
  const soon = new Date(Date.now() + 3_600_000);
  fs.utimesSync(live, soon, soon);

  const progress: string[] = [];
  await backupDatabase(url, { dir, ...runKey('shop', 'production'), onProgress: (m) => progress.push(m) });

  for (const gone of [deadWriter, oldOne, legacy]) expect(fs.existsSync(gone)).toBe(false);
  expect(fs.existsSync(live)).toBe(true);
  expect(progress.join('\n')).toMatch(/removed 3 half-written backups/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('only the newest backups of an (app, environment) are kept, never the one this run just took', async () => {
  const url = await shopDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-backups-keep-'));
  const taken = [];
  for (let i = 0; i < 4; i++) taken.push(await backupDatabase(url, { dir, ...runKey('shop', 'production'), keep: 2 }));
  // Other apps and environments are counted apart.
  const staging = await backupDatabase(url, { dir, ...runKey('shop', 'staging'), keep: 2 });
  const other = await backupDatabase(url, { dir, ...runKey('billing', 'production'), keep: 2 });

  const production = path.dirname(taken[0].file);
  expect(dumpsIn(production)).toEqual([path.basename(taken[2].file), path.basename(taken[3].file)].sort());
  expect(fs.existsSync(staging.file)).toBe(true);
  expect(fs.existsSync(other.file)).toBe(true);
  expect(path.dirname(staging.file)).not.toBe(production);
  expect(path.dirname(other.file)).not.toBe(production);

  // keep: 1 keeps exactly the backup of the run that asks.
  const last = await backupDatabase(url, { dir, ...runKey('shop', 'production'), keep: 1 });
  expect(dumpsIn(production)).toEqual([path.basename(last.file)]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a restore on a worker without the file fails for good, naming the file and the backup folder', async () => {
  const url = await shopDatabase();
  const key = runKey('shop', 'staging', 'ferry-shop-elsewhere');
  const backup = await backupDatabase(url, { dir: backupDir, ...key });
  await applyMigrations(url, migrationFolder({ ...SHOP, '002_trim.up.sql': 'delete from orders where id > 10;' }).dir, key.promotionId);

  const otherWorker = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-backups-other-worker-'));
  const failure = await failureOf(restoreBackup(url, backup, { dir: otherWorker, promotionId: key.promotionId, runId: key.runId }));
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(path.basename(backup.file));
  expect(failure.message).toContain(otherWorker);
  expect(failure.message).toMatch(/FERRY_BACKUP_DIR/);
  expect((await fingerprint(url, 'orders')).rows).toBe(10);
  fs.rmSync(otherWorker, { recursive: true, force: true });
});
