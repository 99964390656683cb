// The worker's metrics and logs, for real: the `ferry worker` process on a real dev server runs a
// real promotion of the example shop (local target, real build and health checks, a real
// approval); the real Prometheus scrapes the worker's FERRY_METRICS_ADDRESS and answers PromQL
// about Ferry's series and the SDK's; the worker's stderr is read line by line as JSON.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { stopLocalEnvironment } from '../../activities/targets/local/local-target';
import type { DevServer } from '../../client/dev/temporal-dev-server';
import { approveSignal, statusQuery } from '../../common/messages';
import { parseConfig } from '../../common/parse-config';
import { buildPlan, promotionWorkflowId, type PromotionPlan } from '../../common/plan';
import type { PromotionStatus } from '../../common/status';
import { startTestDevServer } from '../helpers/dev-server';
import { removeTempDirs, tempDir } from '../helpers/git-repo';
import { startPrometheus, waitForData, type RunningPrometheus } from '../helpers/prometheus';
import { freePort, shopRepo } from '../helpers/shop';
import { REPO_ROOT } from '../helpers/tools';

const FERRY = path.join(REPO_ROOT, 'bin', 'ferry.js');
/** A secret the shop's environment names: its value must never reach a log line. */
const SECRET_VALUE = 'ferry-telemetry-test-secret-6f1c';
const { repo, shas } = shopRepo();
const stateDir = tempDir('telemetry-state');

let server: DevServer;
let client: Client;
let prometheus: RunningPrometheus | undefined;
let ports: { dev: number; production: number };

interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
  stdout: () => string;
}

function startFerryWorker(taskQueue: string, extraEnv: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [FERRY, 'worker', '--task-queue', taskQueue], {
    // The repository: from the sources, the local target's proxy runs through ts-node, which looks
    // for its tsconfig.json from the working directory.
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      FERRY_STATE_DIR: stateDir,
      FERRY_GIT_CACHE: tempDir('telemetry-git-cache'),
      SHOP_API_TOKEN: SECRET_VALUE,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr, stdout: () => stdout };
}

async function stopWorker(worker: WorkerProcess): Promise<void> {
  worker.child.kill('SIGTERM');
  const timer = new AbortController();
  const stopped = await Promise.race([worker.exited.then(() => true), delay(30_000, false, { signal: timer.signal }).catch(() => false)]);
  timer.abort();
  if (!stopped) worker.child.kill('SIGKILL');
  await worker.exited;
}

/**
 * The worker's lines once one matches `last`: a workflow's log calls leave the worker after its
 * workflow task completes, so the client can have the result before the last lines are written.
 */
async function linesUntil(worker: WorkerProcess, last: (line: Record<string, unknown>) => boolean): Promise<Array<Record<string, unknown>>> {
  for (const giveUpAt = Date.now() + 10_000; Date.now() < giveUpAt; await delay(100)) {
    if (jsonLines(worker).some(last)) break;
  }
  return jsonLines(worker);
}

function shopPlan(taskQueue: string, sha: string, edit: (yaml: string) => string = (y) => y): PromotionPlan {
  const yaml = `app: shop
repo: ${repo.dir}
taskQueue: ${taskQueue}
artifact: "shop:{shortSha}"
build: { command: node --check server.js }
test: { command: node test.js }
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: ${ports.dev} }
    secrets: { API_TOKEN: SHOP_API_TOKEN }
    stabilize: 1s
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
  - name: production
    target: { kind: local, start: "node server.js", port: ${ports.production} }
    stabilize: 1s
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
    approval: { required: 1, approvers: [olivia, sam] }
`;
  return buildPlan(parseConfig(edit(yaml), 'telemetry test'), { sha, ref: 'main', requestedBy: 'ci-bot' });
}

async function waitForStatus(workflowId: string, reached: (s: PromotionStatus) => boolean, worker: WorkerProcess): Promise<void> {
  for (const giveUpAt = Date.now() + 120_000; Date.now() < giveUpAt; await delay(250)) {
    const status = await client.workflow
      .getHandle(workflowId)
      .query(statusQuery)
      .catch(() => undefined);
    if (status && reached(status)) return;
  }
  throw new Error(`${workflowId} did not get there; worker stderr:\n${worker.stderr().slice(-3000)}`);
}

/** The worker's stderr, every line parsed as JSON (a line that is not JSON fails the test, naming it). */
function jsonLines(worker: WorkerProcess): Array<Record<string, unknown>> {
  return worker
    .stderr()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`a log line that is not JSON: ${line}`);
      }
    });
}

beforeAll(async () => {
  ports = { dev: await freePort(), production: await freePort() };
  server = await startTestDevServer();
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  for (const [environment, port] of Object.entries(ports ?? {})) {
    await stopLocalEnvironment({ kind: 'local', start: '', port, healthPath: '/healthz', startTimeout: 1 }, { stateDir, app: 'shop', environment });
  }
  await client?.connection.close();
  await server?.stop();
  removeTempDirs();
});

test("a promotion through dev and an approved production: Prometheus scrapes Ferry's series and the SDK's from the worker, and each step logs a JSON line with its promotion, environment and step", async () => {
  const taskQueue = `telemetry-${Date.now()}`;
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  // No FERRY_LOG_FORMAT: stderr is a pipe here, so the worker logs JSON by default.
  const worker = startFerryWorker(taskQueue, { FERRY_METRICS_ADDRESS: metricsAddress });
  prometheus = await startPrometheus([metricsAddress]);
  const plan = shopPlan(taskQueue, shas.spring);
  const workflowId = promotionWorkflowId(plan.app, plan.sha);
  try {
    const handle = await client.workflow.start('promotion', { taskQueue, workflowId, args: [plan] });
    await waitForStatus(workflowId, (s) => s.environments[1]?.state === 'waiting' && s.environments[1].steps.some((step) => step.name === 'approval'), worker);
    await handle.signal(approveSignal, { environment: 'production', approver: 'olivia', comment: 'ship it' });
    expect(((await handle.result()) as PromotionStatus).state).toBe('succeeded');

    const value = async (query: string) => (await waitForData(prometheus!.url, query, 60_000))[0].value;
    expect(await value('ferry_promotions_started_total{app="shop"}')).toBeGreaterThanOrEqual(1);
    expect(await value('ferry_promotions_finished_total{app="shop",environment="production",outcome="succeeded"}')).toBe(1);
    expect(await value('ferry_step_duration_seconds_count{app="shop",environment="dev",step="deploy",outcome="succeeded"}')).toBe(1);
    expect(await value('ferry_step_duration_seconds_count{app="shop",environment="none",step="build",outcome="succeeded"}')).toBe(1);
    expect(await value('ferry_stage_duration_seconds_count{app="shop",environment="production",outcome="succeeded"}')).toBe(1);
    expect(await value('ferry_approval_wait_seconds_count{app="shop",environment="production",outcome="succeeded"}')).toBe(1);
    expect(await value('ferry_lock_wait_seconds_count{app="shop",environment="dev",outcome="succeeded"}')).toBe(1);
    // The approval waited for the test's signal, so its time is more than nothing; buckets are in seconds.
    expect(await value('ferry_approval_wait_seconds_sum{app="shop",environment="production"}')).toBeGreaterThan(0);
    expect(await value('ferry_stage_duration_seconds_bucket{environment="production",le="+Inf"}')).toBe(1);
    // Labels stay low-cardinality: no series carries the commit or the workflow ID.
    const ferrySeries = await waitForData(prometheus.url, '{__name__=~"ferry_.+"}');
    for (const { metric } of ferrySeries) expect(Object.values(metric).join(' ')).not.toMatch(new RegExp(`${plan.sha.slice(0, 7)}|${workflowId}`));
    // The SDK's own, through the same exporter.
    expect(await value(`temporal_worker_task_slots_available{task_queue="${taskQueue}",worker_type="WorkflowWorker"}`)).toBeGreaterThan(0);
    expect(await value(`temporal_workflow_completed{task_queue="${taskQueue}",workflow_type="promotion"}`)).toBe(1);

    const lines = await linesUntil(worker, (line) => line.msg === 'promotion succeeded');
    for (const line of lines) {
      expect(line).toEqual(expect.objectContaining({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: expect.stringMatching(/^(INFO|WARN|ERROR)$/), msg: expect.any(String) }));
    }
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'INFO', msg: 'deploy succeeded', promotion: workflowId, environment: 'dev', step: 'deploy', outcome: 'succeeded', seconds: expect.any(Number) }),
    );
    // A stage's lines name the promotion it runs for, not the stage child's own ID.
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'stabilize succeeded', promotion: workflowId, environment: 'production', step: 'stabilize', workflowId: `${workflowId}-production` }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'promotion succeeded', promotion: workflowId, environment: 'production' }));
    // Activities log through the same logger: the build's output, with the SDK's activity attributes.
    expect(lines).toContainEqual(expect.objectContaining({ sdkComponent: 'activity', activityType: 'build', workflowId, promotion: workflowId, step: 'build' }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('ferry worker: '), taskQueue }));
    expect(lines.some((line) => line.level === 'DEBUG' || line.level === 'TRACE')).toBe(false);
    expect(worker.stderr()).not.toContain(SECRET_VALUE);
  } finally {
    await stopWorker(worker);
  }
  expect(await worker.exited).toBe(0);
}, 300_000);

test('FERRY_LOG_LEVEL=warn: a failing promotion logs its failure lines and none at INFO', async () => {
  const taskQueue = `telemetry-warn-${Date.now()}`;
  const worker = startFerryWorker(taskQueue, { FERRY_LOG_LEVEL: 'warn', FERRY_LOG_FORMAT: 'json' });
  const plan = shopPlan(taskQueue, shas.summer, (yaml) => yaml.replace('build: { command: node --check server.js }', 'build: { command: "exit 3" }'));
  const workflowId = promotionWorkflowId(plan.app, plan.sha);
  try {
    const handle = await client.workflow.start('promotion', { taskQueue, workflowId, args: [plan] });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const lines = await linesUntil(worker, (line) => String(line.msg).startsWith('promotion failed'));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'WARN', msg: expect.stringMatching(/^build failed: /), promotion: workflowId, environment: 'none', step: 'build' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'WARN', msg: expect.stringMatching(/^promotion failed: /), promotion: workflowId }));
    expect(lines.filter((line) => line.level === 'INFO' || line.level === 'DEBUG')).toEqual([]);
  } finally {
    await stopWorker(worker);
  }
}, 120_000);

test.each([
  ['FERRY_METRICS_ADDRESS', '9464', /FERRY_METRICS_ADDRESS: "9464" is not host:port/],
  ['FERRY_LOG_LEVEL', 'verbose', /FERRY_LOG_LEVEL: must be one of/],
  ['FERRY_LOG_FORMAT', 'yaml', /FERRY_LOG_FORMAT: must be json or text/],
])('a bad %s stops `ferry worker` before it connects: exit 2, naming the variable', async (name, value, message) => {
  const worker = startFerryWorker('never-served', { [name]: value, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(await worker.exited).toBe(2);
  expect(worker.stderr() + worker.stdout()).toMatch(message);
});
