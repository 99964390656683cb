// Backups and restores against a real PostgreSQL with the real pg_dump / pg_restore / psql.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { applyMigrations, backupDatabase, backupFileName, resolvePgTools, restoreBackup } from '../../activities/database';
import { FailureType } from '../../common/errors';
import {
  fingerprint,
  migrationFolder,
  migrationRows,
  query,
  reportDuration,
  startTestPostgres,
  tableExists,
  passwordOf,
  withWrongPassword,
  type TestPostgres,
} from '../helpers/postgres';
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

  const backup = await backupDatabase(url, { dir: backupDir, promotionId: 'ferry-shop-1234567', environment: 'staging' });
  expect(backup.file).toBe(path.join(backupDir, 'ferry-shop-1234567--staging.dump'));
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
  expect(await applyMigrations(url, destructive.dir, 'ferry-shop-1234567')).toEqual({ applied: ['002_reshape'] });
  expect((await fingerprint(url, 'orders')).rows).toBe(667);

  expect(await restoreBackup(url, backup, { promotionId: 'ferry-shop-1234567' })).toEqual({ undone: ['002_reshape'] });

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
  expect(await applyMigrations(url, destructive.dir, 'ferry-shop-7654321')).toEqual({ applied: ['002_reshape'] });
});

test('restoring a backup taken before the very first migration removes schema_migrations too', async () => {
  const url = await pg.createDatabase();
  await query(url, `create table legacy (id int primary key, payload text)`);
  await query(url, `insert into legacy select i, repeat('x', i % 17) from generate_series(1, 200) i`);
  const before = await fingerprint(url, 'legacy');
  const backup = await backupDatabase(url, { dir: backupDir, promotionId: 'ferry-legacy-aaaaaaa', environment: 'production' });

  const first = migrationFolder({
    '001_split_legacy.up.sql': 'create table archive as select * from legacy where id > 100;\ndelete from legacy where id > 100;\n',
  });
  await applyMigrations(url, first.dir, 'ferry-legacy-aaaaaaa');

  expect(await restoreBackup(url, backup, { promotionId: 'ferry-legacy-aaaaaaa' })).toEqual({ undone: ['001_split_legacy'] });
  expect(await fingerprint(url, 'legacy')).toEqual(before);
  expect(await tableExists(url, 'archive')).toBe(false);
  expect(await tableExists(url, 'schema_migrations')).toBe(false);
});

test('a backup is made once per promotion and environment: a second call returns it without dumping again', async () => {
  const url = await shopDatabase();
  const options = { dir: backupDir, promotionId: 'ferry-shop-idempot', environment: 'production' };
  const first = await backupDatabase(url, options);
  const stat = fs.statSync(first.file);

  await query(url, `insert into customers values (51, 'after the backup')`);
  const second = await backupDatabase(url, options);

  expect(second).toEqual(first);
  const again = fs.statSync(second.file);
  expect([again.ino, again.mtimeMs]).toEqual([stat.ino, stat.mtimeMs]);
  expect(fs.readdirSync(backupDir).filter((f) => f.endsWith('.partial'))).toEqual([]);

  // Another environment of the same promotion is another file.
  const other = await backupDatabase(url, { ...options, environment: 'staging' });
  expect(other.file).not.toBe(first.file);
  expect(other.sha256).not.toBe(first.sha256);
});

test('backup file names are safe and distinct', () => {
  expect(backupFileName('ferry-shop-abc1234', 'staging')).toBe('ferry-shop-abc1234--staging.dump');
  const odd = backupFileName('../../etc/passwd', 'prod');
  expect(odd).not.toContain('/');
  expect(odd).toMatch(/^[^.].*_etc_passwd--prod-[0-9a-f]{10}\.dump$/);
  expect(backupFileName('a--b', 'c')).not.toBe(backupFileName('a', 'b--c'));
});

test('a restore that fails part-way changes nothing: the drops and the restore are one transaction', async () => {
  const url = await shopDatabase();
  const backup = await backupDatabase(url, { dir: backupDir, promotionId: 'ferry-shop-atomic', environment: 'staging' });
  await applyMigrations(
    url,
    migrationFolder({ ...SHOP, '002_more.up.sql': 'delete from orders where id > 10;\ncreate table extra (id int);\n' }).dir,
    'ferry-shop-atomic',
  );
  const after = await fingerprint(url, 'orders');

  // A psql that runs the whole restore, then one more statement that fails.
  const real = resolvePgTools(15);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-pg-bin-'));
  fs.symlinkSync(real.pgDump, path.join(bin, 'pg_dump'));
  fs.symlinkSync(real.pgRestore, path.join(bin, 'pg_restore'));
  fs.writeFileSync(path.join(bin, 'psql'), `#!/bin/sh\nexec '${real.psql}' "$@" --command='select 1/0'\n`, { mode: 0o755 });
  process.env.FERRY_PG_BIN_DIR = bin;
  try {
    await expect(restoreBackup(url, backup, { promotionId: 'ferry-shop-atomic' })).rejects.toThrow(/psql failed .*division by zero/s);
  } finally {
    delete process.env.FERRY_PG_BIN_DIR;
    fs.rmSync(bin, { recursive: true, force: true });
  }
  expect(await fingerprint(url, 'orders')).toEqual(after);
  expect(await tableExists(url, 'extra')).toBe(true);
  expect((await migrationRows(url)).map((r) => r.id)).toEqual(['001_create_shop', '002_more']);

  // And with the real psql it goes through.
  expect(await restoreBackup(url, backup, { promotionId: 'ferry-shop-atomic' })).toEqual({ undone: ['002_more'] });
  expect((await fingerprint(url, 'orders')).rows).toBe(1000);
});

test('a backup whose checksum no longer matches is refused, and the database is left alone', async () => {
  const url = await shopDatabase();
  const backup = await backupDatabase(url, { dir: backupDir, promotionId: 'ferry-shop-tamper', environment: 'staging' });
  await applyMigrations(url, migrationFolder({ ...SHOP, '002_trim.up.sql': 'delete from orders where id > 10;' }).dir, 'ferry-shop-tamper');

  const failure = await failureOf(restoreBackup(url, { ...backup, sha256: '0'.repeat(64) }, { promotionId: 'ferry-shop-tamper' }));
  expect(failure.type).toBe(FailureType.ChecksumDrift);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(backup.file);
  expect((await fingerprint(url, 'orders')).rows).toBe(10);
});

test('with none of this promotion\'s migrations applied there is nothing to undo, and later writes are kept', async () => {
  const url = await shopDatabase();
  const backup = await backupDatabase(url, { dir: backupDir, promotionId: 'ferry-shop-nothing', environment: 'staging' });
  await query(url, `insert into customers values (51, 'written after the backup')`);

  expect(await restoreBackup(url, backup, { promotionId: 'ferry-shop-nothing' })).toEqual({ undone: [] });
  expect((await fingerprint(url, 'customers')).rows).toBe(51);
});

test('backups use the password from the URL without putting it in any message', async () => {
  const url = await pg.createDatabase();
  const password = passwordOf(url);
  expect(password.length).toBeGreaterThan(3);
  const error = (await backupDatabase(withWrongPassword(url), { dir: backupDir, promotionId: 'ferry-pw', environment: 'staging' }).catch(
    (e: Error) => e,
  )) as Error;
  expect(error.message).toMatch(/password authentication failed/);
  expect(error.message).not.toContain(password);
  expect(error.message).not.toContain(encodeURIComponent(password));
});

test('pg_dump gets the password through PGPASSWORD, never on its command line', async () => {
  const url = await pg.createDatabase();
  const real = resolvePgTools(15);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-pg-bin-'));
  const record = path.join(bin, 'calls.txt');
  fs.writeFileSync(
    path.join(bin, 'pg_dump'),
    `#!/bin/sh\nprintf '%s\\n' "args: $*" "PGPASSWORD set: \${PGPASSWORD:+yes}" >> '${record}'\nexec '${real.pgDump}' "$@"\n`,
    { mode: 0o755 },
  );
  fs.symlinkSync(real.pgRestore, path.join(bin, 'pg_restore'));
  fs.symlinkSync(real.psql, path.join(bin, 'psql'));
  process.env.FERRY_PG_BIN_DIR = bin;
  try {
    await backupDatabase(url, { dir: backupDir, promotionId: 'ferry-argv', environment: 'staging' });
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
