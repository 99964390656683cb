// End to end, what an operator meets when things go wrong: `ferry status` of closed promotions
// with no worker running, `--wait` through a worker restart and a server restart, `ferry list`
// of a terminated promotion, output larger than a pipe's buffer, `ferry unlock` of a real lock,
// `ferry start` of a private https repository, and `ferry replay` given an unknown ID or a
// workflows path that does not exist. The real `ferry` command, a real dev server (restarted on
// the same port and SQLite file) and real workers.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { stopLocalEnvironment } from '../../activities/targets/local/local-target';
import { lockStateQuery } from '../../common/messages';
import { lockWorkflowId } from '../../common/plan';
import type { EnvironmentState, PromotionStatus, StepStatus } from '../../common/status';
import { startDevServer, type DevServer, type DevServerOptions } from '../../client/dev/temporal-dev-server';
import { createFerryWorker } from '../../worker/create-worker';
import { startDevServerOnFreePorts } from '../helpers/dev-server';
import { workflowBundle } from '../helpers/temporal-env';
import { startGitHttpServer } from '../helpers/git-http-server';
import { AUTHORS, removeTempDirs, tempDir, TestRepo } from '../helpers/git-repo';
import { commitShortPipelineRelease, freePort, shopRepo } from '../helpers/shop';
import { REPO_ROOT, toolPaths } from '../helpers/tools';

const FERRY = path.join(REPO_ROOT, 'bin', 'ferry.js');
const STAND_IN_QUEUE = 'stand-in';
const stateDir = tempDir('e2e-operations-environments');
const { repo } = shopRepo();
let serverOptions: DevServerOptions;
let server: DevServer;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
let ferryWorker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
let ports: { dev: number; production: number };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const cliEnv = () => ({ ...process.env, TEMPORAL_ADDRESS: server.address });

function ferry(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FERRY, ...args], { cwd: repo.dir, env: { ...cliEnv(), ...env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A `ferry` still running: what it printed so far, and its end. */
interface Background {
  output: { stdout: string; stderr: string };
  exited: boolean;
  done: Promise<Run>;
}

function ferryInBackground(args: string[]): Background {
  const child = spawn(process.execPath, [FERRY, ...args], { cwd: repo.dir, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const bg: Background = { output: { stdout: '', stderr: '' }, exited: false, done: undefined as unknown as Promise<Run> };
  child.stdout.on('data', (chunk) => (bg.output.stdout += chunk));
  child.stderr.on('data', (chunk) => (bg.output.stderr += chunk));
  bg.done = new Promise((resolve) =>
    child.on('close', (code) => {
      bg.exited = true;
      resolve({ code: code ?? 1, ...bg.output });
    }),
  );
  return bg;
}

function temporal(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(toolPaths().temporal, [...args, '--address', server.address], (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }));
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, seconds = 90): Promise<T> {
  for (const giveUpAt = Date.now() + seconds * 1000; Date.now() < giveUpAt; await new Promise((r) => setTimeout(r, 250))) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`gave up waiting for ${what}`);
}

const commitRelease = (name: string) => commitShortPipelineRelease(repo, name, ports, '1s');

const idOf = (sha: string) => `ferry-shop-${sha.slice(0, 7)}`;

/**
 * A release whose one environment, qa, is frozen from an hour ago to two hours from now (UTC,
 * every day): its promotion takes qa's lock and then waits in the freeze, holding the lock
 * without deploying anything.
 */
function commitFrozen(name: string, port: number): string {
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const now = Date.now();
  return repo.commit(`Release ${name}`, AUTHORS.grace, {
    'release.json': `{ "name": "${name}", "failRate": 0 }\n`,
    'ferry.config.yaml': `app: shop
repo: .
artifact: "shop:{shortSha}"
build: { command: node --check server.js }
environments:
  - name: qa
    target: { kind: local, start: "node server.js", port: ${port} }
    freezeWindows:
      - { days: [mon, tue, wed, thu, fri, sat, sun], from: "${hhmm(now - 3_600_000)}", to: "${hhmm(now + 7_200_000)}", timezone: UTC, reason: "the unlock test" }
`,
  });
}

/** Asked of the workflow itself: `workflowId`'s step `step` in `env`, once it is in `state`. */
async function stepReaches(workflowId: string, env: string, step: string, state: StepStatus['state']): Promise<void> {
  await waitFor(`${workflowId}'s ${step} in ${env} to be ${state}`, async () => {
    const status = await client.workflow
      .getHandle(workflowId)
      .query<PromotionStatus>('status')
      .catch(() => undefined);
    const steps = status?.environments.find((e) => e.name === env)?.steps ?? [];
    return steps.some((s) => s.name === step && s.state === state) ? true : undefined;
  });
}

/** Asked of the workflow itself (the CLI's reading of closed runs is what is under test). */
async function productionWaits(workflowId: string): Promise<void> {
  await waitFor(`${workflowId} to wait for production's approval`, async () => {
    const status = await client.workflow
      .getHandle(workflowId)
      .query<PromotionStatus>('status')
      .catch(() => undefined);
    return status?.environments.find((e) => e.name === 'production')?.state === 'waiting' ? true : undefined;
  });
}

async function startFerryWorker(): Promise<void> {
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await createFerryWorker({ connection, client, namespace: 'default', taskQueue: 'ferry', workflowBundle: bundle, activities: { stateDir } });
  ferryWorker = { worker, connection, running: worker.run() };
}

async function stopFerryWorker(): Promise<void> {
  if (!ferryWorker) return;
  const { worker, running, connection } = ferryWorker;
  ferryWorker = undefined;
  worker.shutdown();
  await running;
  await connection.close();
}

/** The stand-in workflows (test/fixtures/stand-in-workflows) served while `work` runs. */
async function withStandIns<T>(work: () => Promise<T>): Promise<T> {
  const connection = await NativeConnection.connect({ address: server.address });
  try {
    const worker = await Worker.create({
      connection,
      taskQueue: STAND_IN_QUEUE,
      workflowsPath: require.resolve('../fixtures/stand-in-workflows'),
      bundlerOptions: { logger: new DefaultLogger('WARN') } as never,
    });
    return await worker.runUntil(work);
  } finally {
    await connection.close();
  }
}

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  ports = { dev: await freePort(), production: await freePort() };
  ({ server, options: serverOptions } = await startDevServerOnFreePorts(tempDir('e2e-operations-server')));
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  bundle = await workflowBundle();
  await startFerryWorker();
}, 180_000);

afterAll(async () => {
  await stopFerryWorker();
  for (const [environment, port] of Object.entries(ports ?? {})) {
    await stopLocalEnvironment({ kind: 'local', start: '', port, healthPath: '/healthz', startTimeout: 1 }, { stateDir, app: 'shop', environment });
  }
  await client?.connection.close();
  await server?.stop();
  removeTempDirs();
});

/** The stand-ins' worker, started and stopped by the test like a real worker that dies and comes back. */
async function startStandInWorker(): Promise<() => Promise<void>> {
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({ connection, taskQueue: STAND_IN_QUEUE, workflowsPath: require.resolve('../fixtures/stand-in-workflows') });
  const running = worker.run();
  return async () => {
    worker.shutdown();
    await running;
    await connection.close();
  };
}

function standInStatus(workflowId: string, state: PromotionStatus['state'], production: EnvironmentState): PromotionStatus {
  return {
    workflowId,
    app: 'standin',
    ref: 'main',
    sha: `${workflowId.slice(-7)}${'0'.repeat(33)}`,
    artifact: `standin:${workflowId.slice(-7)}`,
    state,
    startedAt: '2025-01-01T00:00:00.000Z',
    endedAt: '2025-01-01T01:00:00.000Z',
    steps: [{ name: 'build', state: 'succeeded', attempts: 1 }],
    environments: [{ name: 'production', state: production, steps: [] }],
    ...(state === 'succeeded' ? {} : { error: `production: ${production}` }),
    ignored: [{ name: 'approve', at: '2025-01-01T00:30:00.000Z', from: 'mallory', reason: 'mallory may not approve production' }],
    ignoredCount: 1,
  };
}

test('stand-ins: closed runs read without a worker, --watch outlives a worker restart and a server restart, list and status say terminated', async () => {
  let stopStandIns = await startStandInWorker();
  const start = (id: string, final: PromotionStatus, waitForApproval = false) => client.workflow.start('promotion', { taskQueue: STAND_IN_QUEUE, workflowId: id, args: [final, { waitForApproval }] });
  const [succeeded, rejected, terminated, waiting] = ['ferry-standin-1000001', 'ferry-standin-1000002', 'ferry-standin-1000003', 'ferry-standin-1000004'];
  await (await start(succeeded, standInStatus(succeeded, 'succeeded', 'succeeded'))).result();
  await expect((await start(rejected, standInStatus(rejected, 'rejected', 'rejected'))).result()).rejects.toThrow();
  await start(terminated, standInStatus(terminated, 'succeeded', 'succeeded'), true);
  await start(waiting, standInStatus(waiting, 'succeeded', 'succeeded'), true);
  const watch = ferryInBackground(['status', waiting, '--watch']);
  await waitFor('ferry status --watch to show the promotion waiting', () => (/WAITING/.test(watch.output.stdout) ? true : undefined));
  expect((await temporal(['workflow', 'terminate', '--workflow-id', terminated, '--reason', 'stuck behind the change board'])).code).toBe(0);

  await stopStandIns();
  await waitFor('the CLI to notice the worker is gone (or to give up)', () => (watch.exited || /^ferry: waiting for a worker/m.test(watch.output.stderr) ? true : undefined));
  expect(watch.exited).toBe(false);
  await server.stop();
  await waitFor('the CLI to notice the server is gone (or to give up)', () => (watch.exited || /^ferry: waiting for the Temporal server/m.test(watch.output.stderr) ? true : undefined));
  expect(watch.exited).toBe(false);
  server = await startDevServer(serverOptions);

  // No worker: a closed run's outcome comes from its result or its failure's details, never a query.
  const ok = await ferry(['status', succeeded]);
  expect(ok).toMatchObject({ code: 0, stderr: '' });
  expect(ok.stdout).toMatch(/^production\s+succeeded/m);
  expect(ok.stdout).toMatch(/2025-01-01T00:30:00.000Z\s+approve\s+mallory\s+mallory may not approve production/);
  const no = await ferry(['status', rejected, '--json']);
  expect(no.code).toBe(1);
  expect(JSON.parse(no.stdout)).toEqual(standInStatus(rejected, 'rejected', 'rejected'));
  const gone = await ferry(['status', terminated, '--json']);
  expect(gone.code).toBe(1);
  expect(JSON.parse(gone.stdout)).toMatchObject({ workflowId: terminated, state: 'terminated', reason: 'stuck behind the change board', lastSeen: { state: 'waiting' } });
  const goneTable = await ferry(['status', terminated]);
  expect(goneTable.code).toBe(1);
  expect(goneTable.stdout).toMatch(/TERMINATED/);
  expect(goneTable.stdout).toContain('reason: stuck behind the change board');
  const stillRunning = await ferry(['status', waiting]);
  expect(stillRunning.code).toBe(1);
  expect(stillRunning.stderr).toMatch(/is running, but no worker answered its status query/);

  const listed = JSON.parse((await ferry(['list', '--app', 'standin', '--json'])).stdout) as Array<{ workflowId: string; state: string }>;
  expect(Object.fromEntries(listed.map((r) => [r.workflowId, r.state]))).toEqual({ [succeeded]: 'succeeded', [rejected]: 'rejected', [terminated]: 'terminated', [waiting]: 'waiting' });
  const waitingOnly = JSON.parse((await ferry(['list', '--app', 'standin', '--state', 'waiting', '--json'])).stdout) as Array<{ workflowId: string }>;
  expect(waitingOnly.map((r) => r.workflowId)).toEqual([waiting]);

  // The worker comes back; the approval decides, and the follower exits with the real outcome.
  stopStandIns = await startStandInWorker();
  expect((await temporal(['workflow', 'signal', '--workflow-id', waiting, '--name', 'approve'])).code).toBe(0);
  const watched = await watch.done;
  expect(watched.code).toBe(0);
  expect(watched.stdout).toMatch(/SUCCEEDED/);
  // Said once per outage, not once per retry.
  expect(watched.stderr.match(/^ferry: waiting for a worker/gm)).toHaveLength(1);
  expect(watched.stderr.match(/^ferry: waiting for the Temporal server/gm)).toHaveLength(1);
  await stopStandIns();
}, 300_000);

test('closed promotions read without a worker; --wait and --watch outlive a worker restart and a server restart; list and status say terminated', async () => {
  // Three promotions that end before the worker goes away: one succeeds, one is rejected, one is terminated.
  const succeeded = commitRelease('spring');
  expect((await ferry(['start', '--ref', succeeded, '--to', 'dev', '--wait'])).code).toBe(0);

  const rejected = commitRelease('summer');
  const rejecting = ferryInBackground(['start', '--ref', rejected, '--wait']);
  await productionWaits(idOf(rejected));
  expect(
    (await temporal(['workflow', 'signal', '--workflow-id', idOf(rejected), '--name', 'reject', '--input', JSON.stringify({ environment: 'production', approver: 'sam', reason: 'no release notes' })]))
      .code,
  ).toBe(0);
  expect((await rejecting.done).code).toBe(1);

  const terminated = commitRelease('autumn');
  expect((await ferry(['start', '--ref', terminated])).code).toBe(0);
  await productionWaits(idOf(terminated));
  const terminate = await temporal(['workflow', 'terminate', '--workflow-id', idOf(terminated), '--reason', 'stuck behind the change board']);
  expect(terminate).toMatchObject({ code: 0 });

  // One that waits for a person while its worker and then the server go away and come back.
  const waiting = commitRelease('winter');
  const waitingId = idOf(waiting);
  const startWait = ferryInBackground(['start', '--ref', waiting, '--wait']);
  await productionWaits(waitingId);
  const watch = ferryInBackground(['status', waitingId, '--watch']);
  await waitFor('ferry status --watch to show production waiting', () => (/^production\s+waiting/m.test(watch.output.stdout) ? true : undefined));

  await stopFerryWorker();
  for (const bg of [startWait, watch]) {
    await waitFor('the CLI to notice the worker is gone (or to give up)', () => (bg.exited || /^ferry: waiting for a worker/m.test(bg.output.stderr) ? true : undefined));
    expect(bg.exited).toBe(false);
  }
  await server.stop();
  for (const bg of [startWait, watch]) {
    await waitFor('the CLI to notice the server is gone (or to give up)', () => (bg.exited || /^ferry: waiting for the Temporal server/m.test(bg.output.stderr) ? true : undefined));
    expect(bg.exited).toBe(false);
  }
  server = await startDevServer(serverOptions);

  // No worker: a closed promotion's outcome comes from its result or its failure, never a query.
  const ok = await ferry(['status', idOf(succeeded)]);
  expect(ok).toMatchObject({ code: 0, stderr: '' });
  expect(ok.stdout).toMatch(/^dev\s+succeeded/m);
  expect(ok.stdout).toMatch(/SUCCEEDED/);
  const no = await ferry(['status', idOf(rejected), '--json']);
  expect(no.code).toBe(1);
  expect(JSON.parse(no.stdout)).toMatchObject({
    state: 'rejected',
    environments: [
      { name: 'dev', state: 'succeeded' },
      { name: 'production', state: 'rejected' },
    ],
  });
  const gone = await ferry(['status', idOf(terminated), '--json']);
  expect(gone.code).toBe(1);
  expect(JSON.parse(gone.stdout)).toMatchObject({ workflowId: idOf(terminated), state: 'terminated', reason: 'stuck behind the change board' });
  const goneTable = await ferry(['status', idOf(terminated)]);
  expect(goneTable.code).toBe(1);
  expect(goneTable.stdout).toMatch(/TERMINATED/);
  expect(goneTable.stdout).toContain('stuck behind the change board');

  // The list tells the terminated promotion from the waiting one, whatever FerryState last said.
  const listed = JSON.parse((await ferry(['list', '--app', 'shop', '--json'])).stdout) as Array<{ workflowId: string; state: string }>;
  expect(Object.fromEntries(listed.map((r) => [r.workflowId, r.state]))).toEqual({
    [idOf(succeeded)]: 'succeeded',
    [idOf(rejected)]: 'rejected',
    [idOf(terminated)]: 'terminated',
    [waitingId]: 'waiting',
  });
  const stillWaiting = JSON.parse((await ferry(['list', '--app', 'shop', '--state', 'waiting', '--json'])).stdout) as Array<{ workflowId: string }>;
  expect(stillWaiting.map((r) => r.workflowId)).toEqual([waitingId]);
  const terminatedOnly = JSON.parse((await ferry(['list', '--app', 'shop', '--state', 'terminated', '--json'])).stdout) as Array<{ workflowId: string }>;
  expect(terminatedOnly.map((r) => r.workflowId)).toEqual([idOf(terminated)]);

  // The worker comes back; the approval decides, and both followers exit with the real outcome.
  await startFerryWorker();
  expect((await temporal(['workflow', 'signal', '--workflow-id', waitingId, '--name', 'approve', '--input', JSON.stringify({ environment: 'production', approver: 'olivia' })])).code).toBe(0);
  const [started, watched] = await Promise.all([startWait.done, watch.done]);
  expect(started.code).toBe(0);
  expect(started.stdout).toMatch(/SUCCEEDED/);
  expect(watched.code).toBe(0);
  for (const run of [started, watched]) {
    // Said once per outage, not once per retry.
    expect(run.stderr.match(/^ferry: waiting for a worker/gm)).toHaveLength(1);
    expect(run.stderr.match(/^ferry: waiting for the Temporal server/gm)).toHaveLength(1);
  }
}, 600_000);

function bigStatus(workflowId: string): PromotionStatus {
  const steps: StepStatus[] = Array.from({ length: 400 }, (_, i) => ({
    name: 'canary',
    state: 'succeeded',
    attempts: 1,
    detail: `round ${i}: ${'every request answered within the budget; '.repeat(14)}`,
  }));
  return {
    workflowId,
    app: 'bigapp',
    ref: 'main',
    sha: '0123456789abcdef0123456789abcdef01234567',
    artifact: 'bigapp:0123456',
    state: 'succeeded',
    startedAt: '2025-01-01T00:00:00.000Z',
    endedAt: '2025-01-01T01:00:00.000Z',
    steps: [],
    environments: [{ name: 'production', state: 'succeeded', steps }],
    ignored: [],
    ignoredCount: 0,
  };
}

test('ferry status --json larger than a pipe buffer arrives whole through a slow reader', async () => {
  const workflowId = 'ferry-bigapp-0123456';
  const status = bigStatus(workflowId);
  expect(JSON.stringify(status, null, 2).length).toBeGreaterThan(200 * 1024);
  // The stand-in's worker stays up, so only the pipe is under test here (closed runs are read without one above).
  const piped = await withStandIns(async () => {
    await client.workflow.execute('promotion', { taskQueue: STAND_IN_QUEUE, workflowId, args: [status] });
    return new Promise<Run>((resolve) =>
      execFile('sh', ['-c', '"$0" "$1" status "$2" --json | (sleep 1; cat)', process.execPath, FERRY, workflowId], { cwd: repo.dir, env: cliEnv(), maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
        resolve({ code: error ? 1 : 0, stdout, stderr }),
      ),
    );
  });
  expect(piped.stdout.length).toBeGreaterThan(200 * 1024);
  expect(JSON.parse(piped.stdout)).toEqual(status);
});

test('ferry unlock of a real lock: shows holder, queue and refused messages, refuses a wrong --holder, and passes the lock on', async () => {
  const lockId = lockWorkflowId('shop', 'qa');
  const noLock = await ferry(['unlock', 'shop', 'qa', '--as', 'sre', '--reason', 'stuck', '--yes']);
  expect(noLock.code).toBe(2);
  expect(noLock.stderr).toContain(`nothing holds qa of shop (${lockId} is not running)`);
  const blank = await ferry(['unlock', 'shop', 'qa', '--as', 'sre', '--reason', ' ', '--yes']);
  expect(blank).toMatchObject({ code: 2 });
  expect(blank.stderr).toContain('--reason: must say why');

  // One promotion holds qa (frozen for hours), a second waits for it.
  const port = await freePort();
  const holder = idOf(commitFrozen('frost', port));
  expect((await ferry(['start', '--ref', repo.head()])).code).toBe(0);
  await stepReaches(holder, 'qa', 'freeze', 'running');
  const queued = idOf(commitFrozen('thaw', port));
  expect((await ferry(['start', '--ref', repo.head()])).code).toBe(0);
  const lock = client.workflow.getHandle(lockId);
  const lockState = () => lock.query(lockStateQuery);
  await waitFor(`${queued} to queue for ${lockId}`, async () => ((await lockState().catch(() => undefined))?.queue.includes(queued) ? true : undefined));

  // A release sent in the holder's name (as anyone can from the Web UI) is refused: the holder says it still holds it.
  const { runId } = await client.workflow.getHandle(holder).describe();
  const forged = await temporal(['workflow', 'signal', '--workflow-id', lockId, '--name', 'release', '--input', JSON.stringify({ requester: holder, runId })]);
  expect(forged.code).toBe(0);
  await waitFor('the lock to refuse the forged release', async () => ((await lockState()).ignoredCount > 0 ? true : undefined));

  const unnamed = await ferry(['unlock', 'shop', 'qa', '--as', 'sre', '--reason', 'frost never thaws']);
  expect(unnamed.code).toBe(2);
  expect(unnamed.stdout).toMatch(new RegExp(`held by ${holder} since \\d{4}-`));
  expect(unnamed.stdout).toContain(`queue: ${queued}`);
  expect(unnamed.stdout).toContain(`refused messages: 1 (latest: release — ${holder} still holds ${lockId}: a release counts only from the holder)`);
  expect(unnamed.stderr).toContain(`--holder ${holder}`);
  expect(unnamed.stderr).toContain('--yes');

  const wrong = await ferry(['unlock', 'shop', 'qa', '--as', 'sre', '--reason', 'frost never thaws', '--holder', queued]);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain(`refused: ${lockId} is held by ${holder}, not ${queued}`);
  expect((await lockState()).holder).toBe(holder);

  const named = await ferry(['unlock', 'shop', 'qa', '--as', 'sre', '--reason', 'frost never thaws', '--holder', holder]);
  expect(named).toMatchObject({ code: 0, stderr: '' });
  expect(named.stdout).toContain(`took qa of shop from ${holder}; it goes to the next in its queue, ${queued}`);
  // The queued promotion's own lock step says it holds qa: the lock named it, and it confirmed so.
  await stepReaches(queued, 'qa', 'lock', 'succeeded');
  const after = await lockState();
  expect(after).toMatchObject({ holder: queued, queue: [] });
  expect(after.passedOn.map((p) => [p.holder, p.why])).toEqual([[holder, 'unlocked by sre: frost never thaws']]);

  // Nobody else waits: taken from the second, the lock is free, and stays open with qa's ledger.
  const yes = await ferry(['unlock', 'shop', 'qa', '--as', 'sre', '--reason', 'test over', '-y']);
  expect(yes).toMatchObject({ code: 0, stderr: '' });
  expect(yes.stdout).toContain(`took qa of shop from ${queued}; nobody waits, so it is free`);
  await waitFor(`${lockId} to be free`, async () => ((await lockState()).holder === undefined ? true : undefined));
  expect((await lock.describe()).status.name).toBe('RUNNING');
  for (const id of [holder, queued]) await client.workflow.getHandle(id).terminate('the unlock test is over');
});

test('ferry start resolves a private https repository with repoCredentialsEnv set where it runs, and names the variable when it is not', async () => {
  const USER = 'ferry-bot';
  const PASSWORD = 'e2e-pa55-9c1f';
  const origin = new TestRepo();
  const sha = origin.commit('One', AUTHORS.ada, { 'release.txt': 'one\n' });
  const bare = origin.bareClone();
  const git = await startGitHttpServer(path.dirname(bare), { username: USER, password: PASSWORD });
  try {
    const config = path.join(tempDir('e2e-private-config'), 'ferry.config.yaml');
    // A queue no worker serves: only `ferry start` itself is under test, nothing runs.
    fs.writeFileSync(
      config,
      `app: private
repo: ${git.url}/${path.basename(bare)}
repoCredentialsEnv: FERRY_E2E_GIT_CREDENTIALS
taskQueue: nobody-serves-this
artifact: "private:{shortSha}"
build: { command: "true" }
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: ${ports.dev} }
`,
    );
    const cache = { FERRY_GIT_CACHE: tempDir('e2e-private-cache') };
    const unset = await ferry(['start', '--config', config, '--ref', 'main'], cache);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('repoCredentialsEnv: FERRY_E2E_GIT_CREDENTIALS is not set; ferry start resolves --ref');
    expect(unset.stderr).not.toContain('on this worker');

    const started = await ferry(['start', '--config', config, '--ref', 'main'], { ...cache, FERRY_E2E_GIT_CREDENTIALS: `${USER}:${PASSWORD}` });
    expect(started).toMatchObject({ code: 0, stdout: `ferry-private-${sha.slice(0, 7)}\n` });
    expect(git.requests.some((r) => r.authorization === `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`)).toBe(true);
    await client.workflow.getHandle(`ferry-private-${sha.slice(0, 7)}`).terminate('only its start was under test');
  } finally {
    await git.stop();
  }
});

test('ferry replay of an unknown ID, or with --workflows that does not exist, exits 2 naming it', async () => {
  const unknown = await ferry(['replay', 'ferry-shop-0000000']);
  expect(unknown).toMatchObject({ code: 2, stderr: 'no such promotion: ferry-shop-0000000\n' });
  const recorded = fs.readdirSync(path.join(REPO_ROOT, 'test/histories')).find((f) => f.endsWith('.history.pb'))!;
  const missing = await ferry(['replay', '--file', path.join(REPO_ROOT, 'test/histories', recorded), '--workflows', '/does/not/exist']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/^--workflows: \/does\/not\/exist/m);
  expect(missing.stderr).not.toMatch(/^\s+at /m);
  const missingWithId = await ferry(['replay', 'ferry-shop-0000000', '--workflows', '/does/not/exist']);
  expect(missingWithId.code).toBe(2);
  expect(missingWithId.stderr).toMatch(/^--workflows: \/does\/not\/exist/m);
});
