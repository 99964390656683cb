// End to end: the real `ferry` command against a real Temporal dev server and a real worker,
// the example shop from a real git repository on the local target. Approvals go in the way the
// Web UI sends them: `temporal workflow signal`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { stopLocalEnvironment } from '../../activities/targets/local/local-target';
import type { DevServer } from '../../client/dev/temporal-dev-server';
import { createFerryWorker } from '../../worker/create-worker';
import { removeTempDirs, tempDir } from '../helpers/git-repo';
import { startTestDevServer } from '../helpers/dev-server';
import { commitShortPipelineRelease, freePort, shopRepo } from '../helpers/shop';
import { REPO_ROOT, toolPaths } from '../helpers/tools';

const FERRY = path.join(REPO_ROOT, 'bin', 'ferry.js');
const stateDir = tempDir('e2e-environments');
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

/** `ferry start --wait` in the background: resolves with its exit code and output. */
function ferryInBackground(args: string[]): Promise<Run> {
  return ferry(args);
}

function temporalSignal(workflowId: string, name: string, input: unknown): Promise<Run> {
  return new Promise((resolve) => {
    execFile(toolPaths().temporal, ['workflow', 'signal', '--address', server.address, '--workflow-id', workflowId, '--name', name, '--input', JSON.stringify(input)], (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, stdout, stderr }),
    );
  });
}

/** A pipeline short enough for a real server's real clock: dev rolls, production waits for a person. */
const commitRelease = (name: string) => commitShortPipelineRelease(repo, name, ports, '2s');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (const giveUpAt = Date.now() + 60_000; Date.now() < giveUpAt; await new Promise((r) => setTimeout(r, 250))) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function statusOf(workflowId: string) {
  const run = await ferry(['status', workflowId, '--json']);
  return run.code === 0 || run.code === 1 ? JSON.parse(run.stdout) : undefined;
}

/** Production waiting for approval; a `ferry … --wait` ending first (`cli`) fails the wait with what it printed. */
function waitingForProduction(workflowId: string, cli?: Promise<Run>) {
  let ended: Run | undefined;
  void cli?.then((run) => (ended = run));
  return waitFor('production to wait for approval', async () => {
    if (ended) throw new Error(`ferry ended before production waited for approval: ${JSON.stringify(ended)}`);
    const status = await statusOf(workflowId).catch(() => undefined);
    return status?.environments.find((e: { name: string; state: string }) => e.name === 'production')?.state === 'waiting' ? status : undefined;
  });
}

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

test('start → approve by a signal, as the Web UI sends it → succeeded; status and list show it', async () => {
  const sha = commitRelease('spring');
  const started = ferryInBackground(['start', '--ref', sha, '--wait', '--as', 'ci-bot']);
  const workflowId = `ferry-shop-${sha.slice(0, 7)}`;
  const waiting = await waitingForProduction(workflowId, started);
  expect(waiting.environments[0]).toMatchObject({ name: 'dev', state: 'succeeded' });

  const signal = await temporalSignal(workflowId, 'approve', { environment: 'production', approver: 'olivia', comment: 'ship it' });
  expect(signal).toMatchObject({ code: 0 });
  const result = await started;
  expect(result).toMatchObject({ code: 0 });
  expect(result.stdout).toContain(`${workflowId}: promoting shop:${sha.slice(0, 7)} (${sha}) through dev → production`);
  expect(result.stdout).toMatch(/production approval: succeeded — approve by olivia/);
  expect(result.stdout).toMatch(/SUCCEEDED/);

  const table = await ferry(['status', workflowId]);
  expect(table).toMatchObject({ code: 0 });
  expect(table.stdout).toMatch(/^production\s+succeeded/m);
  expect(table.stdout).toMatch(/^\s+stabilize\s+succeeded\s+\d+s\s+healthy for 2s$/m);

  const listed = await waitFor('the list to show it succeeded', async () => {
    const run = await ferry(['list', '--app', 'shop', '--state', 'succeeded', '--json']);
    const rows = JSON.parse(run.stdout) as Array<{ workflowId: string; state: string; commit: string }>;
    return rows.find((r) => r.workflowId === workflowId);
  });
  expect(listed).toMatchObject({ state: 'succeeded', commit: sha.slice(0, 7) });
});

test('a refused approval exits 3 with the reason; a rejection by signal stops before production and `start --wait` exits 1; retry goes on from there', async () => {
  const sha = commitRelease('summer');
  const workflowId = `ferry-shop-${sha.slice(0, 7)}`;
  const started = ferryInBackground(['start', '--ref', sha, '--wait', '--as', 'ci-bot']);
  await waitingForProduction(workflowId, started);

  const refused = await ferry(['approve', workflowId, '--env', 'production', '--as', 'mallory']);
  expect(refused.code).toBe(3);
  expect(refused.stderr).toMatch(/^refused: .*mallory.*/m);

  // `ferry reject` without a reason is refused before anything is sent; the Web UI's signal then rejects.
  const noReason = await ferry(['reject', workflowId, '--env', 'production', '--as', 'sam', '--reason', ' ']);
  expect(noReason.code).toBe(2);
  expect(noReason.stderr).toContain('--reason: must say why');
  const rejected = await temporalSignal(workflowId, 'reject', { environment: 'production', approver: 'sam', reason: 'the release notes are missing' });
  expect(rejected).toMatchObject({ code: 0 });
  const result = await started;
  expect(result).toMatchObject({ code: 1 });
  expect(result.stdout).toMatch(/REJECTED/);
  const status = await statusOf(workflowId);
  expect(status.environments.map((e: { state: string }) => e.state)).toEqual(['succeeded', 'rejected']);

  // Retry: the same commit and plan again, from production; dev is recorded as skipped.
  const retried = ferryInBackground(['retry', workflowId, '--wait']);
  await waitFor('the retry to wait for approval', async () => {
    const s = await statusOf(workflowId).catch(() => undefined);
    return s?.environments[1]?.state === 'waiting' && s.environments[0].state === 'skipped' ? s : undefined;
  });
  expect(await ferry(['approve', workflowId, '--env', 'production', '--as', 'olivia', '--comment', 'notes added'])).toMatchObject({ code: 0 });
  const again = await retried;
  expect(again).toMatchObject({ code: 0 });
  expect(again.stdout).toContain(`retrying ${workflowId} from production (dev already promoted)`);
  expect((await statusOf(workflowId)).environments.map((e: { state: string }) => e.state)).toEqual(['skipped', 'succeeded']);
});

test('history as a timeline, JSON and Mermaid; replay against this code is clean, against incompatible code exit 4', async () => {
  const sha = commitRelease('winter');
  const workflowId = `ferry-shop-${sha.slice(0, 7)}`;
  const started = ferryInBackground(['start', '--ref', sha, '--wait', '--to', 'dev']);
  expect(await started).toMatchObject({ code: 0 });

  const text = await ferry(['history', workflowId]);
  expect(text).toMatchObject({ code: 0 });
  expect(text.stdout).toMatch(/activity\s+build/);
  expect(text.stdout).toMatch(/child\s+.*ferry-shop-[0-9a-f]{7}-dev/);
  const json = JSON.parse((await ferry(['history', workflowId, '--json'])).stdout) as Array<{ kind: string; name?: string }>;
  expect(json.filter((e) => e.kind === 'activity').map((e) => e.name)).toEqual(expect.arrayContaining(['resolveCommit', 'build', 'test', 'deploy', 'checkHealth']));
  const mermaid = await ferry(['history', workflowId, '--mermaid']);
  expect(mermaid.stdout.split('\n').slice(0, 2)).toEqual(['```mermaid', 'gantt']);
  expect(mermaid.stdout).toMatch(/section dev/);
  expect((await ferry(['history', workflowId, '--json', '--mermaid'])).code).toBe(2);

  const clean = await ferry(['replay', workflowId]);
  expect(clean).toMatchObject({ code: 0, stdout: `${workflowId}: replays cleanly against the current workflow code\n` });
  const incompatible = await ferry(['replay', workflowId, '--workflows', path.join(REPO_ROOT, 'test/fixtures/incompatible-workflows')]);
  expect(incompatible.code).toBe(4);
  expect(incompatible.stderr).toMatch(new RegExp(`^${workflowId}: nondeterministic: .*Nondeterminism`, 'm'));

  // A history downloaded as JSON (what the Web UI and `temporal workflow show` give) replays the same way.
  const file = path.join(tempDir('history'), 'history.json');
  await new Promise<void>((resolve, reject) =>
    execFile(toolPaths().temporal, ['workflow', 'show', '--address', server.address, '--workflow-id', workflowId, '--output', 'json'], { maxBuffer: 64 << 20 }, (error, stdout) =>
      error ? reject(error) : resolve(fs.writeFileSync(file, stdout)),
    ),
  );
  const fromFile = await ferry(['replay', '--file', file]);
  expect(fromFile).toMatchObject({ code: 0, stderr: '' });
  expect((await ferry(['replay', '--file', file, '--workflows', path.join(REPO_ROOT, 'test/fixtures/incompatible-workflows')])).code).toBe(4);
});

test('abort from the CLI stops a running promotion; bad flags and bad config exit 2 before anything starts', async () => {
  const sha = commitRelease('autumn');
  const workflowId = `ferry-shop-${sha.slice(0, 7)}`;
  const started = await ferry(['start', '--ref', sha]);
  expect(started).toMatchObject({ code: 0, stdout: `${workflowId}\n` });
  await waitingForProduction(workflowId);
  const aborted = await ferry(['abort', workflowId, '--as', 'sre-on-call', '--reason', 'incident 4711']);
  expect(aborted).toMatchObject({ code: 0 });
  const status = await waitFor('the abort to land', async () => {
    const s = await statusOf(workflowId);
    return s?.state === 'aborted' ? s : undefined;
  });
  expect(status.abort).toMatchObject({ by: 'sre-on-call', reason: 'incident 4711' });

  const abortNoReason = await ferry(['abort', workflowId, '--as', 'sre', '--reason', '  ']);
  expect(abortNoReason.code).toBe(2);
  expect(abortNoReason.stderr).toContain('--reason: must say why');

  const unknownId = await ferry(['status', 'ferry-shop-0000000']);
  expect(unknownId).toMatchObject({ code: 2, stderr: 'no such promotion: ferry-shop-0000000\n' });

  const unknownEnv = await ferry(['start', '--ref', sha, '--to', 'moon']);
  expect(unknownEnv.code).toBe(2);
  expect(unknownEnv.stderr).toContain('--to: unknown environment "moon" (environments: dev, production)');
  const unknownRef = await ferry(['start', '--ref', 'no-such-branch']);
  expect(unknownRef.code).toBe(2);
  expect(unknownRef.stderr).toMatch(/^--ref: .*no-such-branch/m);

  const badConfigDir = tempDir('bad-config');
  fs.writeFileSync(path.join(badConfigDir, 'ferry.config.yaml'), 'app: Shop!\nrepo: .\nenvironments: []\n');
  const badConfig = await ferry(['start', '--config', path.join(badConfigDir, 'ferry.config.yaml')]);
  expect(badConfig.code).toBe(2);
  expect(badConfig.stderr).toContain('app: must be lowercase letters, digits and dashes');
  expect(badConfig.stderr).toContain('build: Invalid input');
  expect(badConfig.stderr).toContain('environments: needs at least one environment');
  // Nothing was started by the refused commands: the autumn promotion is the only one of its commit.
  const all = JSON.parse((await ferry(['list', '--json'])).stdout) as Array<{ commit: string }>;
  expect(all.filter((p) => p.commit === sha.slice(0, 7))).toHaveLength(1);
  expect(all.every((p) => /^[0-9a-f]{7}$/.test(p.commit))).toBe(true);
});
