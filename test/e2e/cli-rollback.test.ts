// End to end: `ferry rollback` against a real Temporal dev server, a real worker, real PostgreSQL
// and the example shop on the local target, after two real promotions. What the ledger then says
// runs is checked against what the shop's process answers and what the database holds: by down
// files in dev, by restoring the backup taken before the newer release migrated in production.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { stopLocalEnvironment } from '../../activities/targets/local/local-target';
import type { DevServer } from '../../client/dev/temporal-dev-server';
import { createFerryWorker } from '../../worker/create-worker';
import { startTestDevServer } from '../helpers/dev-server';
import { AUTHORS, removeTempDirs, tempDir } from '../helpers/git-repo';
import { fingerprint, migrationRows, query, startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { freePort, shopRepo } from '../helpers/shop';
import { REPO_ROOT } from '../helpers/tools';

const FERRY = path.join(REPO_ROOT, 'bin', 'ferry.js');
const stateDir = tempDir('e2e-rollback');
const { repo } = shopRepo();
const URL_VARS = { dev: 'ROLLBACK_E2E_DEV_DATABASE_URL', production: 'ROLLBACK_E2E_PRODUCTION_DATABASE_URL' } as const;
let server: DevServer;
let worker: Worker;
let connection: NativeConnection;
let running: Promise<void>;
let client: Client;
let pg: TestPostgres;
let ports: { dev: number; production: number };
let urls: { dev: string; production: string };
const varsBefore = { ...process.env };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ferry(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FERRY, ...args], { cwd: repo.dir, env: { ...process.env, TEMPORAL_ADDRESS: server.address } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The commit the shop's process on an environment's port says it runs. */
async function runningCommit(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/version`);
  return ((await response.json()) as { commit: string }).commit;
}

/** Every column of every table and the orders' rows: equal snapshots, equal databases for the app. */
async function snapshot(url: string) {
  const columns = await query(url, `select table_name, column_name, data_type, is_nullable from information_schema.columns where table_schema = 'public' order by 1, 2`);
  return { columns, migrations: (await migrationRows(url)).map((r) => r.id), orders: await fingerprint(url, 'orders') };
}

function release(name: string, files: Record<string, string> = {}): string {
  return repo.commit(`Release ${name}`, AUTHORS.grace, {
    ...files,
    'release.json': `{ "name": "${name}", "failRate": 0 }\n`,
    'ferry.config.yaml': `app: shop
repo: .
artifact: "shop:{shortSha}"
build: { command: node --check server.js }
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: ${ports.dev} }
    database: { urlEnv: ${URL_VARS.dev}, migrations: migrations, undo: down }
    stabilize: 2s
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
  - name: production
    target: { kind: local, start: "node server.js", port: ${ports.production} }
    database: { urlEnv: ${URL_VARS.production}, migrations: migrations, undo: restore }
    backup: true
    stabilize: 2s
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
    approval: { required: 1, approvers: [olivia, sam], preventSelfApproval: true }
`,
  });
}

beforeAll(async () => {
  ports = { dev: await freePort(), production: await freePort() };
  pg = await startTestPostgres();
  urls = { dev: await pg.createDatabase(), production: await pg.createDatabase() };
  // The worker runs in this process: it reads the URLs and the backup folder here.
  process.env[URL_VARS.dev] = urls.dev;
  process.env[URL_VARS.production] = urls.production;
  process.env.FERRY_BACKUP_DIR = tempDir('backups');
  server = await startTestDevServer();
  connection = await NativeConnection.connect({ address: server.address });
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  worker = await createFerryWorker({ connection, client, namespace: 'default', taskQueue: 'ferry', activities: { stateDir } });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  for (const [environment, port] of Object.entries(ports ?? {})) {
    await stopLocalEnvironment({ kind: 'local', start: '', port, healthPath: '/healthz', startTimeout: 1 }, { stateDir, app: 'shop', environment });
  }
  await client?.connection.close();
  await connection?.close();
  await server?.stop();
  await pg?.stop();
  for (const key of [...Object.values(URL_VARS), 'FERRY_BACKUP_DIR']) {
    if (varsBefore[key] === undefined) delete process.env[key];
    else process.env[key] = varsBefore[key];
  }
  removeTempDirs();
});

/** Promotes `sha` through dev and production (olivia approves), waiting for the end. */
async function promote(sha: string): Promise<void> {
  const id = `ferry-shop-${sha.slice(0, 7)}`;
  const run = ferry(['start', '--ref', sha, '--wait', '--as', 'ci-bot']);
  for (const giveUpAt = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 500))) {
    if ((await ferry(['approve', id, '--env', 'production', '--as', 'olivia'])).code === 0) break;
    if (Date.now() > giveUpAt) throw new Error(`${id} never waited for production's approval`);
  }
  expect(await run).toMatchObject({ code: 0 });
}

const releasesOf = async (environment: string) => JSON.parse((await ferry(['envs', 'shop', environment, '--json'])).stdout).releases as Array<Record<string, unknown>>;

test('after two promotions, dev goes back by down files and production, once approved, by restore: the processes run the older release, the databases hold its schema and data, the ledger says so', async () => {
  // Before any release: no ledger to roll back with.
  const nothing = await ferry(['rollback', 'shop', '--env', 'dev', '--as', 'rita', '--reason', 'too early']);
  expect(nothing).toMatchObject({ code: 3, stderr: 'ferry rollback: shop/dev has no release in its ledger: nothing to roll back from\n' });

  const spring = release('spring');
  await promote(spring);
  for (const url of Object.values(urls)) await query(url, `insert into orders (id, item, quantity) select i, 'mug', i % 5 + 1 from generate_series(1, 50) i`);
  const springState = { dev: await snapshot(urls.dev), production: await snapshot(urls.production) };

  const summer = release('summer', {
    'migrations/003_add_gift_note.up.sql': 'alter table orders add column gift_note text;\n',
    'migrations/003_add_gift_note.down.sql': 'alter table orders drop column gift_note;\n',
  });
  await promote(summer);
  for (const url of Object.values(urls)) await query(url, `update orders set gift_note = 'happy summer' where id % 3 = 0`);
  expect(await runningCommit(ports.dev)).toBe(summer);

  // Refused before anything starts: a malformed --to (2, naming it), one not in the ledger (3, with the way to promote it), the live release (3).
  const badTo = await ferry(['rollback', 'shop', '--env', 'dev', '--as', 'rita', '--reason', 'x', '--to', 'spring']);
  expect(badTo.code).toBe(2);
  expect(badTo.stderr).toContain('--to: must be a commit SHA or a prefix of at least 7 hex digits of one');
  const stranger = 'abcdef1234567';
  expect(await ferry(['rollback', 'shop', '--env', 'dev', '--as', 'rita', '--reason', 'x', '--to', stranger])).toMatchObject({
    code: 3,
    stderr: `ferry rollback: ${stranger} is not one of the last 2 releases of shop/dev in its ledger; to promote it anyway: ferry start --ref ${stranger} --force\n`,
  });
  expect((await ferry(['rollback', 'shop', '--env', 'dev', '--as', 'rita', '--reason', 'x', '--to', summer.slice(0, 9)])).stderr).toBe(
    `ferry rollback: ${summer.slice(0, 9)} is the live release of shop/dev (shop:${summer.slice(0, 7)}): nothing to roll back\n`,
  );
  expect((await ferry(['rollback', 'shop', '--env', 'moon', '--as', 'rita', '--reason', 'x'])).code).toBe(2);

  const devBack = await ferry(['rollback', 'shop', '--env', 'dev', '--as', 'rita', '--reason', 'gift notes break checkout', '--wait']);
  expect(devBack).toMatchObject({ code: 0 });
  expect(devBack.stdout).toContain(`ferry-rollback/shop/dev/${spring.slice(0, 12)}: rolling shop/dev back from ${summer.slice(0, 7)} (shop:${summer.slice(0, 7)}) to ${spring.slice(0, 7)}`);
  expect(await runningCommit(ports.dev)).toBe(spring);
  expect(await snapshot(urls.dev)).toEqual(springState.dev);
  const dev = await releasesOf('dev');
  expect(dev.map((r) => [r.sha, r.kind])).toEqual([
    [spring, 'rollback'],
    [summer, 'promotion'],
    [spring, 'promotion'],
  ]);
  expect(dev[0]).toMatchObject({
    by: `ferry-rollback/shop/dev/${spring.slice(0, 12)}`,
    requestedBy: 'rita',
    reason: 'gift notes break checkout',
    emergency: false,
    migrations: springState.dev.migrations,
  });
  const status = await ferry(['status', `ferry-rollback/shop/dev/${spring.slice(0, 12)}`, '--json']);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ state: 'succeeded', sha: spring, environments: [{ name: 'dev', state: 'succeeded' }] });

  // Back "to" summer, the release before the live one now: nothing to take out, and summer's own migration applied again.
  const devForward = await ferry(['rollback', 'shop', '--env', 'dev', '--as', 'rita', '--reason', 'the fix is in summer after all', '--wait']);
  expect(devForward).toMatchObject({ code: 0 });
  expect(await runningCommit(ports.dev)).toBe(summer);
  expect((await snapshot(urls.dev)).migrations).toEqual([...springState.dev.migrations, '003_add_gift_note']);
  expect((await releasesOf('dev'))[0]).toMatchObject({ sha: summer, kind: 'rollback', migrations: [...springState.dev.migrations, '003_add_gift_note'] });

  // Production waits for its approvers; the one who asked for the rollback may not approve it.
  const productionId = `ferry-rollback/shop/production/${spring.slice(0, 12)}`;
  const productionRun = ferry(['rollback', 'shop', '--env', 'production', '--as', 'olivia', '--reason', 'gift notes break checkout', '--wait']);
  for (const giveUpAt = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 500))) {
    const self = await ferry(['approve', productionId, '--env', 'production', '--as', 'olivia']);
    if (self.stderr.includes('may not approve it')) break;
    if (Date.now() > giveUpAt) throw new Error(`${productionId} never waited for approval: ${self.stderr}`);
  }
  expect(await ferry(['approve', productionId, '--env', 'production', '--as', 'sam'])).toMatchObject({ code: 0 });
  expect(await productionRun).toMatchObject({ code: 0 });
  expect(await runningCommit(ports.production)).toBe(spring);
  expect(await snapshot(urls.production)).toEqual(springState.production);
  const production = await releasesOf('production');
  expect(production[0]).toMatchObject({ sha: spring, kind: 'rollback', requestedBy: 'olivia', emergency: false, approvedBy: ['sam'], migrations: springState.production.migrations });
  // What this rollback took before restoring is recorded: rolling forward again by restore goes back to it.
  expect(production[0].backupBefore).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

  // An emergency skips approval: back to summer (the release before the live one now), by restoring that backup.
  const forward = await ferry(['rollback', 'shop', '--env', 'production', '--as', 'olivia', '--reason', 'the fix is in summer after all', '--emergency', '--wait']);
  expect(forward).toMatchObject({ code: 0 });
  expect(await runningCommit(ports.production)).toBe(summer);
  expect((await snapshot(urls.production)).migrations).toEqual([...springState.production.migrations, '003_add_gift_note']);
  // The gift notes written while summer ran are back with it.
  expect(await query(urls.production, `select count(*)::int as notes from orders where gift_note = 'happy summer'`)).toEqual([{ notes: 16 }]);
  expect((await releasesOf('production'))[0]).toMatchObject({ sha: summer, kind: 'rollback', emergency: true, approvedBy: [] });
}, 600_000);
