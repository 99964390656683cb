// A run keeps its own values though every workflow on the worker thread shares Ferry's modules
// (common/workflow-bundle.ts): two runs interleaved on one thread each read back their own. Each
// run waits for a signal rather than a timer, and the results are awaited only once every run can
// end: the time-skipping server would otherwise skip a waiting run to its execution timeout.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { ferryBundlerOptions } from '../../common/workflow-bundle';
import { preloadedModules } from '../helpers/preloaded-modules';
import { startTimeSkippingServer } from '../helpers/temporal-env';
import { goSignal, readyQuery } from '../fixtures/run-local-workflows';

const WORKFLOWS = require.resolve('../fixtures/run-local-workflows');
const TASK_QUEUE = 'run-local';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  env = await startTimeSkippingServer();
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, ...ferryBundlerOptions(WORKFLOWS), logger: new DefaultLogger('WARN') });
  expect(preloadedModules(bundle.code)).toHaveLength(2);
  // One thread, so the runs below share it and the modules evaluated on it.
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: bundle, workflowThreadPoolSize: 1 });
  running = worker.run();
}, 180_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const startReady = async (workflowType: string, args: unknown[], workflowId: string) => {
  const handle = await env.client.workflow.start(workflowType, { taskQueue: TASK_QUEUE, workflowId, args });
  expect(await handle.query(readyQuery)).toBe(true);
  return handle;
};

test('two runs on one thread, interleaved, each read back the value they kept', async () => {
  const first = await startReady('keepsItsOwn', ['first'], 'keeps-first');
  const second = await startReady('keepsItsOwn', ['second'], 'keeps-second');
  await first.signal(goSignal);
  await second.signal(goSignal);
  expect([await first.result(), await second.result()]).toEqual(['first', 'second']);
});

test("a run that has not taken the patch baseline is refused even while another run on the thread holds one: the baseline is each run's own", async () => {
  const holder = await startReady('takesBaseline', [], 'takes-baseline');
  const asker = await startReady('asksWithoutBaseline', [], 'asks-without');
  await holder.signal(goSignal);
  await asker.signal(goSignal);
  expect([await holder.result(), await asker.result()]).toEqual([true, "hasPatch('lock-asked-by-update') before takePatchBaseline(): a workflow takes the baseline in its first statement"]);
});
