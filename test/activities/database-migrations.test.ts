// Migrations against a real PostgreSQL: applying, re-applying, two migrators at once, a failing
// migration, drift, and undoing exactly one promotion's migrations with its down files.
import { applyMigrations, loadMigrations, MIGRATION_LOCK_KEY, undoMigrationsWithDownFiles } from '../../activities/database';
import { FailureType } from '../../common/errors';
import { migrationFolder, migrationRows, query, reportDuration, passwordOf, startTestPostgres, tableExists, type TestPostgres } from '../helpers/postgres';
import { failureOf } from '../helpers/failures';

const ORDERS = {
  '001_create_orders.up.sql': 'create table orders (id serial primary key, total numeric not null);\n',
  '001_create_orders.down.sql': 'drop table orders;\n',
  '002_add_status.up.sql': "alter table orders add column status text not null default 'new';\n",
  '002_add_status.down.sql': 'alter table orders drop column status;\n',
};

let pg: TestPostgres;
const done = reportDuration('database migration tests');
beforeAll(async () => {
  pg = await startTestPostgres();
  console.info(`database migration tests run against ${pg.description}`);
});
afterAll(async () => {
  await pg?.stop();
  done();
});

test('applies the migrations in order, each recorded with its checksum and promotion', async () => {
  const url = await pg.createDatabase();
  const { dir } = migrationFolder({ ...ORDERS, 'README.md': 'not a migration' });

  expect(await applyMigrations(url, dir, 'ferry-shop-aaaaaaa')).toMatchObject({ applied: ['001_create_orders', '002_add_status'] });

  const rows = await query<{ version: string; name: string; checksum: string; promotion_id: string }>(url, 'select version, name, checksum, promotion_id from schema_migrations order by version');
  const files = await loadMigrations(dir);
  expect(rows).toEqual([
    { version: '001', name: 'create_orders', checksum: files[0].checksum, promotion_id: 'ferry-shop-aaaaaaa' },
    { version: '002', name: 'add_status', checksum: files[1].checksum, promotion_id: 'ferry-shop-aaaaaaa' },
  ]);
  await query(url, 'insert into orders (total) values (10)');
  expect(await query(url, 'select status from orders')).toEqual([{ status: 'new' }]);
});

test('running again applies nothing: a retry reports the same list, another promotion reports none', async () => {
  const url = await pg.createDatabase();
  const { dir } = migrationFolder(ORDERS);
  await applyMigrations(url, dir, 'ferry-shop-aaaaaaa');
  const before = await migrationRows(url);

  expect(await applyMigrations(url, dir, 'ferry-shop-aaaaaaa')).toMatchObject({ applied: ['001_create_orders', '002_add_status'] });
  expect(await applyMigrations(url, dir, 'ferry-shop-bbbbbbb')).toMatchObject({ applied: [] });
  expect(await migrationRows(url)).toEqual(before); // same rows, same applied_at: nothing ran again
});

test('two migrators on one database: one waits on the advisory lock, every migration runs exactly once', async () => {
  const url = await pg.createDatabase();
  const { dir } = migrationFolder({
    '001_create_runs.up.sql': 'create table runs (migration text not null, at timestamptz not null default clock_timestamp());\n',
    '002_slow.up.sql': "select pg_sleep(1);\ninsert into runs (migration) values ('002');\n",
    '003_after.up.sql': "insert into runs (migration) values ('003');\n",
  });
  const waited: string[] = [];
  const migrate = (promotion: string) =>
    applyMigrations(url, dir, promotion, {
      onProgress: (message) => {
        if (/waiting for another Ferry migration/.test(message)) waited.push(promotion);
      },
    });

  // Watch for the second one queueing on the lock while the first holds it.
  const blocked = pollFor(async () => {
    const [row] = await query<{ waiting: string }>(
      url,
      `select count(*) as waiting from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`,
    );
    return Number(row.waiting) > 0;
  });
  const [a, b] = await Promise.all([migrate('ferry-shop-aaaaaaa'), migrate('ferry-shop-bbbbbbb')]);

  expect(await blocked).toBe(true);
  expect(waited).toHaveLength(1);
  const results = [a.applied, b.applied].sort((x, y) => y.length - x.length);
  expect(results).toEqual([['001_create_runs', '002_slow', '003_after'], []]);
  expect(await query(url, 'select migration from runs order by at')).toEqual([{ migration: '002' }, { migration: '003' }]);
  expect((await migrationRows(url)).map((r) => r.id)).toEqual(['001_create_runs', '002_slow', '003_after']);
  // The lock is released afterwards.
  expect(await query(url, `select count(*)::int as n from pg_locks where locktype = 'advisory'`)).toEqual([{ n: 0 }]);
  expect(MIGRATION_LOCK_KEY).toMatch(/^-?\d+$/);
});

test('a failing migration leaves the schema and schema_migrations as they were; the ones before it stay', async () => {
  const url = await pg.createDatabase();
  const { dir } = migrationFolder({
    '001_create_orders.up.sql': ORDERS['001_create_orders.up.sql'],
    '002_broken.up.sql': 'create table invoices (id int primary key);\n\ninsert into no_such_table values (1);\n',
    '003_never.up.sql': 'create table never (id int);\n',
  });

  const failure = await failureOf(applyMigrations(url, dir, 'ferry-shop-aaaaaaa'));
  expect(failure.type).toBe(FailureType.MigrationFailed);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain('002_broken.up.sql failed at line 3');
  expect(failure.message).toContain('relation "no_such_table" does not exist');
  expect(failure.message).not.toContain(passwordOf(url));

  expect((await migrationRows(url)).map((r) => r.id)).toEqual(['001_create_orders']);
  expect(await tableExists(url, 'orders')).toBe(true);
  expect(await tableExists(url, 'invoices')).toBe(false); // its first statement was rolled back too
  expect(await tableExists(url, 'never')).toBe(false);
});

test('an applied migration whose file changed is drift, named, and nothing runs', async () => {
  const url = await pg.createDatabase();
  const folder = migrationFolder({ '001_create_orders.up.sql': ORDERS['001_create_orders.up.sql'] });
  await applyMigrations(url, folder.dir, 'ferry-shop-aaaaaaa');
  folder.write({
    '001_create_orders.up.sql': 'create table orders (id bigserial primary key, total numeric not null);\n',
    '002_add_status.up.sql': ORDERS['002_add_status.up.sql'],
  });

  const failure = await failureOf(applyMigrations(url, folder.dir, 'ferry-shop-bbbbbbb'));
  expect(failure.type).toBe(FailureType.ChecksumDrift);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain('001_create_orders.up.sql (version 001) changed after it was applied');
  expect((await migrationRows(url)).map((r) => r.id)).toEqual(['001_create_orders']);
});

test('files that are not NNN_name.up/down.sql, duplicates and orphan down files are refused before connecting', async () => {
  const { dir } = migrationFolder({
    '001_a.up.sql': 'select 1;',
    '001_b.up.sql': 'select 1;',
    'create_things.sql': 'select 1;',
    '002_c.down.sql': 'select 1;',
  });
  const failure = await failureOf(applyMigrations('postgres://nobody@127.0.0.1:1/none', dir, 'p'));
  expect(failure.type).toBe(FailureType.InvalidInput);
  expect(failure.message).toContain('001_b.up.sql and 001_a.up.sql have the same version 001');
  expect(failure.message).toContain('create_things.sql is not named NNN_name.up.sql or NNN_name.down.sql');
  expect(failure.message).toContain('002_c.down.sql has no up file');
});

test("down migrations undo exactly this promotion's versions, newest first, and only once", async () => {
  const url = await pg.createDatabase();
  const folder = migrationFolder({
    ...ORDERS,
    '003_create_customers.up.sql': 'create table customers (id int primary key);\n',
    '003_create_customers.down.sql': "drop table customers;\ninsert into undo_log values ('003');\n",
    '004_index_orders.up.sql': 'create index orders_status on orders (status);\n',
    '004_index_orders.down.sql': "drop index orders_status;\ninsert into undo_log values ('004');\n",
  });
  await query(url, 'create table undo_log (version text, at timestamptz default clock_timestamp())');
  // An earlier promotion applied 001 and 002; this one brings 003 and 004.
  const earlier = migrationFolder({ ...ORDERS });
  await applyMigrations(url, earlier.dir, 'ferry-shop-earlier');
  expect(await applyMigrations(url, folder.dir, 'ferry-shop-current')).toMatchObject({ applied: ['003_create_customers', '004_index_orders'] });

  expect(await undoMigrationsWithDownFiles(url, folder.dir, 'ferry-shop-current')).toEqual({
    undone: ['004_index_orders', '003_create_customers'],
  });
  expect(await query(url, 'select version from undo_log order by at')).toEqual([{ version: '004' }, { version: '003' }]);
  expect((await migrationRows(url)).map((r) => [r.id, r.promotion])).toEqual([
    ['001_create_orders', 'ferry-shop-earlier'],
    ['002_add_status', 'ferry-shop-earlier'],
  ]);
  expect(await tableExists(url, 'customers')).toBe(false);
  expect(await tableExists(url, 'orders')).toBe(true);

  expect(await undoMigrationsWithDownFiles(url, folder.dir, 'ferry-shop-current')).toEqual({ undone: [] });
  expect(await query(url, 'select count(*)::int as n from undo_log')).toEqual([{ n: 2 }]);
});

test('a missing down file is named and nothing is undone', async () => {
  const url = await pg.createDatabase();
  const folder = migrationFolder({
    ...ORDERS,
    '003_create_customers.up.sql': 'create table customers (id int primary key);\n',
  });
  await applyMigrations(url, folder.dir, 'ferry-shop-current');

  const failure = await failureOf(undoMigrationsWithDownFiles(url, folder.dir, 'ferry-shop-current'));
  expect(failure.type).toBe(FailureType.InvalidInput);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain('003_create_customers.down.sql missing');
  expect((await migrationRows(url)).map((r) => r.id)).toEqual(['001_create_orders', '002_add_status', '003_create_customers']);
});

test('a failing down migration is rolled back and named', async () => {
  const url = await pg.createDatabase();
  const folder = migrationFolder({
    ...ORDERS,
    '002_add_status.down.sql': 'alter table orders drop column no_such_column;\n',
  });
  await applyMigrations(url, folder.dir, 'ferry-shop-current');

  const failure = await failureOf(undoMigrationsWithDownFiles(url, folder.dir, 'ferry-shop-current'));
  expect(failure.type).toBe(FailureType.MigrationFailed);
  expect(failure.message).toContain('002_add_status.down.sql failed: column "no_such_column" of relation "orders" does not exist');
  expect((await migrationRows(url)).map((r) => r.id)).toEqual(['001_create_orders', '002_add_status']);
  expect(await query(url, 'select status from orders')).toEqual([]); // the column is still there
});

/** Polls `check` every 50 ms until it is true, for at most 5 s. */
async function pollFor(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
