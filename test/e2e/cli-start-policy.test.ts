// End to end: `ferry start` with the refs policy (from, after), --force, and git records what runs
// where (recordRef), with the real `ferry` command, a real Temporal dev server, a real worker, the
// example shop from a real git repository on the local target.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { stopLocalEnvironment } from '../../activities/targets/local/local-target';
import type { DevServer } from '../../client/dev/temporal-dev-server';
import { parseConfig } from '../../common/parse-config';
import { buildPlan, promotionWorkflowId } from '../../common/plan';
import { createFerryWorker } from '../../worker/create-worker';
import { startTestDevServer } from '../helpers/dev-server';
import { AUTHORS, removeTempDirs, tempDir } from '../helpers/git-repo';
import { freePort, shopRepo } from '../helpers/shop';
import { REPO_ROOT } from '../helpers/tools';

const FERRY = path.join(REPO_ROOT, 'bin', 'ferry.js');
const stateDir = tempDir('e2e-policy-environments');
const { repo } = shopRepo();
let server: DevServer;
let worker: Worker;
let connection: NativeConnection;
let running: Promise<void>;
let client: Client;
let ports: { dev: number; production: number };

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

/** dev, then production, which takes only commits on main; each live commit is recorded as env/<name>. */
const config = () => `app: shop
repo: .
artifact: "shop:{shortSha}"
build: { command: node --check server.js }
recordRef: { ref: "env/{env}" }
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: ${ports.dev} }
    stabilize: 1s
    healthCheckInterval: 1s
  - name: production
    from: [main]
    target: { kind: local, start: "node server.js", port: ${ports.production} }
    stabilize: 1s
    healthCheckInterval: 1s
`;

const commitRelease = (name: string) => repo.commit(`Release ${name}`, AUTHORS.grace, { 'release.json': `{ "name": "${name}", "failRate": 0 }\n`, 'ferry.config.yaml': config() });
/** Where env/<name> points in the repository; '' while it does not exist. */
const refAt = (name: string) => repo.git(['for-each-ref', '--format=%(objectname)', `refs/heads/env/${name}`]);

beforeAll(async () => {
  ports = { dev: await freePort(), production: await freePort() };
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
  removeTempDirs();
});

test('a commit not on main is refused for production by ferry start, exit 3, before anything starts', async () => {
  commitRelease('base');
  repo.checkout('topic', { create: true });
  const topic = commitRelease('topic');
  repo.checkout('main');
  const run = await ferry(['start', '--ref', 'topic', '--wait']);
  expect(run.code).toBe(3);
  expect(run.stderr).toContain(`production.from: commit ${topic.slice(0, 7)} is not on main`);
  // Neither --to nor --force changes the rule.
  const forced = await ferry(['start', '--ref', 'topic', '--to', 'production', '--force', '--wait']);
  expect(forced.code).toBe(3);
  expect(forced.stderr).toContain('production.from:');
  await expect(client.workflow.getHandle(promotionWorkflowId('shop', topic)).describe()).rejects.toThrow();
});

test('a promotion the workflow refuses ends refused, runs no build, and ferry status exits 3', async () => {
  repo.checkout('topic');
  const topic = repo.head();
  repo.checkout('main');
  // Started past the CLI's own check, as a plan from an older ferry would be: the worker refuses it too.
  const plan = buildPlan({ ...parseConfig(config(), 'test'), repo: repo.dir }, { sha: topic, ref: 'topic' });
  await client.workflow.start('promotion', { taskQueue: 'ferry', workflowId: promotionWorkflowId('shop', topic), args: [plan] });
  await client.workflow
    .getHandle(promotionWorkflowId('shop', topic))
    .result()
    .catch(() => undefined);
  const run = await ferry(['status', promotionWorkflowId('shop', topic), '--json']);
  expect(run.code).toBe(3);
  const status = JSON.parse(run.stdout);
  expect(status.state).toBe('refused');
  expect(status.steps.map((s: { name: string }) => s.name)).toEqual(['resolve', 'policy']);
  expect(status.environments.map((e: { state: string }) => e.state)).toEqual(['skipped', 'refused']);
  expect(refAt('dev')).toBe('');
});

test('each environment that goes live moves its ref; --force promotes an older commit again and moves the ref back', async () => {
  const spring = commitRelease('spring');
  const first = await ferry(['start', '--ref', spring, '--to', 'dev', '--wait']);
  expect(first.code).toBe(0);
  expect(refAt('dev')).toBe(spring);
  expect(refAt('production')).toBe('');

  const summer = commitRelease('summer');
  expect((await ferry(['start', '--wait'])).code).toBe(0);
  expect([refAt('dev'), refAt('production')]).toEqual([summer, summer]);

  // spring went to dev before: without --force dev is skipped, and production takes it (after: dev, from its ledger).
  const again = await ferry(['start', '--ref', spring, '--wait']);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('already promoted dev: skipping them');
  expect([refAt('dev'), refAt('production')]).toEqual([summer, spring]);

  const forced = await ferry(['start', '--ref', spring, '--to', 'dev', '--force', '--wait', '--json']);
  expect(forced.code).toBe(0);
  const status = JSON.parse(forced.stdout);
  expect(status.environments.map((e: { name: string; state: string }) => [e.name, e.state])).toEqual([['dev', 'succeeded']]);
  expect(status.environments[0].steps.at(-1)).toMatchObject({ name: 'record-ref', state: 'succeeded', detail: `refs/heads/env/dev: ${summer.slice(0, 7)} → ${spring.slice(0, 7)}` });
  expect(refAt('dev')).toBe(spring);
});

test('a commit refused before is promoted through every environment once it is on main: what the refused run never entered is not taken as promoted', async () => {
  const topic = repo.git(['rev-parse', 'topic']);
  // Main's files win (both changed release.json); what counts is that topic is now in main's history.
  repo.git(['merge', '--quiet', '-s', 'ours', '-m', 'Merge topic', 'topic'], AUTHORS.margaret);
  const run = await ferry(['start', '--ref', topic, '--wait', '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const status = JSON.parse(run.stdout);
  expect(status.environments.map((e: { name: string; state: string }) => [e.name, e.state])).toEqual([
    ['dev', 'succeeded'],
    ['production', 'succeeded'],
  ]);
  expect([refAt('dev'), refAt('production')]).toEqual([topic, topic]);
});
