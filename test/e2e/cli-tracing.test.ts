// Tracing end to end: the real `ferry worker` and `ferry start` (bin/ferry.js), configured only by
// the OTEL_* variables, against a real Temporal dev server and a real OpenTelemetry collector
// (OTLP receiver, spans written to a file). One trace runs from `ferry start` through the
// promotion and its stage to each activity; without the variables nothing is sent or loaded.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { stopLocalEnvironment } from '../../activities/targets/local/local-target';
import type { DevServer } from '../../client/dev/temporal-dev-server';
import { untilPolled } from '../helpers/built-worker';
import { startTestDevServer } from '../helpers/dev-server';
import { removeTempDirs, tempDir } from '../helpers/git-repo';
import { startCollector, type ReceivedSpan, type RunningCollector } from '../helpers/otel-collector';
import { freePort, shopRepo } from '../helpers/shop';
import { REPO_ROOT } from '../helpers/tools';

const FERRY = path.join(REPO_ROOT, 'bin', 'ferry.js');
/** A secret the app gets on the worker, and a requester that travels in the workflow's argument: neither may reach a span. */
const SECRET = 'tr4ce-s3cret-value-0b1c';
const REQUESTER = 'ci-bot-tracing-5e2d';
const { repo } = shopRepo();
const stateDir = tempDir('tracing-environments');
let server: DevServer;
let connection: Connection;
let preload: string;
const environments: Array<{ port: number; app: string }> = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The test's environment less every OTEL_* variable: each run says which it sets. */
function baseEnv(): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_'))), TEMPORAL_ADDRESS: server.address };
}

function ferry(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArgs, FERRY, ...args], { cwd: repo.dir, env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `ferry worker` on its own task queue, polling once this resolves; stop() sends SIGTERM and waits for it to exit. */
async function startWorker(taskQueue: string, env: NodeJS.ProcessEnv) {
  // From the checkout, as `npm run ferry -- worker` runs it (the canary proxy it starts from the
  // sources finds the checkout's tsconfig.json from there).
  const child: ChildProcess = spawn(process.execPath, [FERRY, 'worker', '--task-queue', taskQueue], {
    cwd: REPO_ROOT,
    env: { ...env, FERRY_STATE_DIR: stateDir, FERRY_TRACE_TEST_TOKEN: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return { code: await exited, output };
  };
  try {
    await untilPolled(connection, taskQueue, () => (child.exitCode !== null ? `the worker exited with ${child.exitCode}:\n${output}` : undefined));
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

/**
 * A release of the shop promoted to dev only, as app `shop-<taskQueue>` (an app's environment lock
 * is a workflow on the task queue that first asked for it), whose app gets a secret from the worker.
 */
async function commitRelease(name: string, taskQueue: string): Promise<string> {
  const port = await freePort();
  environments.push({ port, app: `shop-${taskQueue}` });
  return repo.commit(
    `Release ${name}`,
    { name: 'Grace', email: 'grace@example.com' },
    {
      'release.json': `{ "name": "${name}", "failRate": 0 }\n`,
      'ferry.config.yaml': `app: shop-${taskQueue}
repo: .
artifact: "shop:{shortSha}"
taskQueue: ${taskQueue}
build: { command: node --check server.js }
test: { command: node test.js }
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: ${port} }
    stabilize: 1s
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
    secrets: { SHOP_TOKEN: FERRY_TRACE_TEST_TOKEN }
`,
    },
  );
}

async function spansUntil(collector: RunningCollector, enough: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
  for (const giveUpAt = Date.now() + 30_000; Date.now() < giveUpAt; await new Promise((r) => setTimeout(r, 200))) {
    const spans = collector.spans();
    if (enough(spans)) return spans;
  }
  return collector.spans();
}

/** The chain of span names from `span` up to the trace's root. */
function ancestry(span: ReceivedSpan, trace: ReceivedSpan[]): string[] {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const names = [span.name];
  for (let at = span; at.parentSpanId !== undefined;) {
    const parent = byId.get(at.parentSpanId);
    if (parent === undefined) return [...names, `(missing parent ${at.parentSpanId})`];
    names.push(parent.name);
    at = parent;
  }
  return names;
}

beforeAll(async () => {
  server = await startTestDevServer();
  connection = await Connection.connect({ address: server.address });
  preload = path.join(tempDir('preload'), 'list-modules.js');
  fs.writeFileSync(preload, "process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_MODULES, Object.keys(require.cache).join('\\n')));\n");
}, 120_000);

afterAll(async () => {
  for (const { port, app } of environments) {
    await stopLocalEnvironment({ kind: 'local', start: '', port, healthPath: '/healthz', startTimeout: 1 }, { stateDir, app, environment: 'dev' });
  }
  await connection?.close();
  await server?.stop();
  removeTempDirs();
});

test('ferry start → promotion → stage → activities: the collector gets one trace, each span under its parent, with no argument or secret in it', async () => {
  const collector = await startCollector();
  try {
    // The worker exports over gRPC, the CLI over HTTP/protobuf (the spec's default protocol).
    const worker = await startWorker('traced', {
      ...baseEnv(),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.grpcEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const sha = await commitRelease('traced', 'traced');
    const started = await ferry(['start', '--ref', sha, '--wait', '--as', REQUESTER], {
      ...baseEnv(),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
      OTEL_SERVICE_NAME: 'ferry-ci',
    });
    const stopped = await worker.stop();
    expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
    expect(stopped.code).toBe(0);

    // Both processes sent their last spans as they exited; the collector writes them out every 100 ms.
    const expected = ['StartWorkflow:promotion', 'RunWorkflow:promotion', 'RunWorkflow:stage', 'RunActivity:deploy'];
    const spans = await spansUntil(collector, (all) => expected.every((name) => all.some((s) => s.name === name)));
    const roots = spans.filter((s) => s.name === 'StartWorkflow:promotion');
    expect(roots).toHaveLength(1);
    const [root] = roots;
    const promotionId = `ferry-shop-traced-${sha.slice(0, 7)}`;
    expect(root).toMatchObject({ service: 'ferry-ci', attributes: { temporalWorkflowId: promotionId } });
    expect(root.parentSpanId).toBeUndefined();

    const trace = spans.filter((s) => s.traceId === root.traceId);
    // Every span of the trace hangs under the root, through parents that are all in it.
    expect(trace.map((span) => ancestry(span, trace)).filter((chain) => chain.at(-1) !== 'StartWorkflow:promotion')).toEqual([]);
    const one = (name: string) => {
      const found = trace.filter((s) => s.name === name);
      expect(found.map((s) => s.name)).toContain(name);
      return found[0];
    };
    expect(ancestry(one('RunWorkflow:promotion'), trace)).toEqual(['RunWorkflow:promotion', 'StartWorkflow:promotion']);
    expect(ancestry(one('RunWorkflow:stage'), trace)).toEqual(['RunWorkflow:stage', 'StartChildWorkflow:stage', 'RunWorkflow:promotion', 'StartWorkflow:promotion']);
    expect(ancestry(one('RunActivity:build'), trace)).toEqual(['RunActivity:build', 'StartActivity:build', 'RunWorkflow:promotion', 'StartWorkflow:promotion']);
    expect(ancestry(one('RunActivity:deploy'), trace)).toEqual([
      'RunActivity:deploy',
      'StartActivity:deploy',
      'RunWorkflow:stage',
      'StartChildWorkflow:stage',
      'RunWorkflow:promotion',
      'StartWorkflow:promotion',
    ]);
    // The worker's spans come from the worker, the workflows' ones too (through their sink).
    expect(new Set(trace.filter((s) => s !== root).map((s) => s.service))).toEqual(new Set(['ferry-worker']));
    // Every activity the worker ran for this promotion and its stage is in its trace (the
    // environment's lock is a workflow of its own, serving every promotion: its spans are not).
    const ours = spans.filter((s) => s.name.startsWith('RunActivity:') && [promotionId, `${promotionId}-dev`].includes(String(s.attributes.temporalWorkflowId)));
    expect(ours.length).toBeGreaterThanOrEqual(4);
    expect(ours.filter((s) => s.traceId !== root.traceId)).toEqual([]);

    // IDs and type names only: never arguments (the plan names its requester), secrets, memo or search attributes.
    const everything = JSON.stringify(spans);
    expect(everything).not.toContain(REQUESTER);
    expect(everything).not.toContain(SECRET);
    const keys = [...new Set(spans.flatMap((s) => Object.keys(s.attributes)))].sort();
    const allowed = ['attempt', 'namespace', 'runId', 'run_id', 'taskQueue', 'temporalActivityId', 'temporalUpdateId', 'temporalWorkflowId', 'workflowId', 'workflowType'];
    expect(keys.filter((key) => !allowed.includes(key))).toEqual([]);
  } finally {
    await collector.stop();
  }
}, 300_000);

test('without OTEL_* variables nothing is sent, not even to the spec’s default endpoints (localhost:4317 and 4318)', async () => {
  const collector = await startCollector({ grpc: 4317, http: 4318 });
  try {
    const worker = await startWorker('untraced', baseEnv());
    const sha = await commitRelease('untraced', 'untraced');
    const started = await ferry(['start', '--ref', sha, '--wait'], baseEnv());
    const stopped = await worker.stop();
    expect(started.code).toBe(0);
    expect(stopped.code).toBe(0);
    // Both processes have exited: had they traced, their last spans were sent as they stopped.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(collector.spans()).toEqual([]);

    // The same collector receives what a CLI that traces sends there by default: the check above
    // could fail. (This start only records the promotion again, skipping dev, for no worker.)
    const again = await ferry(['start', '--ref', sha, '--force'], { ...baseEnv(), OTEL_TRACES_EXPORTER: 'otlp' });
    expect(again.code).toBe(0);
    const received = await spansUntil(collector, (spans) => spans.length > 0);
    expect(received.map((s) => `${s.service} ${s.name}`)).toEqual(['ferry StartWorkflow:promotion']);
  } finally {
    await collector.stop();
  }
}, 300_000);

test('ferry status loads no OpenTelemetry module without the OTEL_* variables, and does with them', async () => {
  const loaded = async (env: NodeJS.ProcessEnv) => {
    const list = path.join(tempDir('loaded'), 'modules.txt');
    // No such promotion: status connects, asks, and says so.
    await ferry(['status', 'ferry-shop-0000000', '--json'], { ...env, LOADED_MODULES: list }, ['--require', preload]);
    return fs
      .readFileSync(list, 'utf8')
      .split('\n')
      .filter((file) => /opentelemetry|tracer-provider/.test(file));
  };
  expect(await loaded(baseEnv())).toEqual([]);
  const collector = await startCollector();
  try {
    const traced = await loaded({ ...baseEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint });
    expect(traced.some((file) => file.includes(`${path.sep}@opentelemetry${path.sep}sdk-trace-node${path.sep}`))).toBe(true);
    expect(traced.some((file) => file.includes('interceptors-opentelemetry'))).toBe(true);
  } finally {
    await collector.stop();
  }
}, 120_000);
