import { ferryBundlerOptions } from '../../common/workflow-bundle';
import { WorkflowClient } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Runtime, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { ferryDataConverter } from '../../common/data-converter';
import type { StubbedActivities } from './stub-activities';
import { toolPaths } from './tools';
import { lockActivities } from '../../activities/environment-lock';
import { createFerryWorker, HEARTBEAT_THROTTLE } from '../../worker/create-worker';

export const TASK_QUEUE = 'ferry-test';

let quietRuntime = false;
function quietLogs(): void {
  if (quietRuntime) return;
  quietRuntime = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/**
 * The Java test server (grpc-java) takes a keepalive ping at most every five minutes; the client's
 * default of 30 s gets its connection closed for "excess pings" once a test file has run for a
 * minute or two, and whatever call was in flight then fails: on a loaded machine, the time-skipping
 * lock around a result() among them, which leaves the test waiting out its timers in real time.
 */
const KEEPALIVE_MS = 6 * 60_000;
/**
 * createTimeSkipping() with connection options, which it does not take (sdk-typescript#2185): the
 * same private factory it calls, given the options a connection to an existing server takes. Only
 * the client's connection takes them; the workers' native one has no keepalive setting, and its
 * client reconnects and retries its polls by itself. Should the SDK change the factory, every
 * workflow test fails at its first line.
 */
const createTimeSkippingWithCalmKeepalive = (options: Record<string, unknown>): Promise<TestWorkflowEnvironment> =>
  (TestWorkflowEnvironment as unknown as { create(options: Record<string, unknown>): Promise<TestWorkflowEnvironment> }).create(options);

/** The real Java time-skipping test server, with Ferry's search attributes registered. */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  quietLogs();
  const env = await createTimeSkippingWithCalmKeepalive({
    server: { type: 'time-skipping', executable: { type: 'existing-path', path: toolPaths().testServer } },
    supportsTimeSkipping: true,
    connectionOptions: { channelArgs: { 'grpc.keepalive_time_ms': KEEPALIVE_MS, 'grpc.keepalive_permit_without_calls': 0 } },
  });
  shareOneTimeSkippingUnlock(env);
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return env;
}

/**
 * Makes the results the test client awaits at once share one unlock of time skipping. The SDK's
 * time-skipping client unlocks it for each result() and locks it again after, but the test server
 * keeps one count for those and for the locks it takes itself, one per running activity and
 * pending task: two waits at once gave up one lock the client never held, so the clock jumped
 * (ten years, to the execution timeouts) while the last activity still ran, and when the server
 * then dropped that activity's own lock its books no longer added up and it stopped answering,
 * the rest of the file with it. Here the first wait unlocks, the last one locks again, and the
 * calls reach the server in the order they were made.
 */
function shareOneTimeSkippingUnlock(env: TestWorkflowEnvironment): void {
  const workflow = env.client.workflow;
  const testService = env.connection.testService!;
  const plainResult = WorkflowClient.prototype.result.bind(workflow) as WorkflowClient['result'];
  let waiting = 0;
  let calls: Promise<unknown> = Promise.resolve();
  const inOrder = (call: () => Promise<unknown>): Promise<unknown> => (calls = calls.then(call, call));
  workflow.result = (async (...args: Parameters<WorkflowClient['result']>) => {
    if (waiting++ === 0) void inOrder(() => testService.unlockTimeSkipping({}));
    try {
      await calls;
      return await plainResult(...args);
    } finally {
      if (--waiting === 0) await inOrder(() => testService.lockTimeSkipping({}));
    }
  }) as WorkflowClient['result'];
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundled once per test file: webpack is the slow part of starting a worker. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    payloadConverterPath: ferryDataConverter.payloadConverterPath,
    ...ferryBundlerOptions(require.resolve('../../workflows')),
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

/** The real Ferry worker, every activity real, on the test server; local environments keep their state in `stateDir`. */
export async function startFerryWorker(env: TestWorkflowEnvironment, stateDir: string): Promise<Worker> {
  return endingOpenLocks(
    env,
    await createFerryWorker({
      connection: env.nativeConnection,
      client: env.client,
      namespace: env.namespace ?? 'default',
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: { stateDir },
    }),
  );
}

export async function startWorker(env: TestWorkflowEnvironment, activities: StubbedActivities, taskQueue = TASK_QUEUE): Promise<Worker> {
  return endingOpenLocks(
    env,
    await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      dataConverter: ferryDataConverter,
      // The lock is Temporal itself, so the tests use the real activity against the test server.
      activities: { ...lockActivities(env.client), ...activities },
      maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    }),
  );
}

/**
 * Once the worker has stopped, ends the environment locks still open (idle, keeping their
 * ledger). The time-skipping server sends a workflow's tasks and queries to the sticky queue of the
 * worker that ran it last, for ever (a real server falls back to the normal queue after seconds,
 * and it has no ResetStickyTaskQueue): the next test's worker would never hear from such a lock.
 * A test that needs a ledger across promotions runs them on one worker.
 */
function endingOpenLocks(env: TestWorkflowEnvironment, worker: Worker): Worker {
  const runUntil = worker.runUntil.bind(worker);
  worker.runUntil = (async (fnOrPromise: Parameters<Worker['runUntil']>[0]) => {
    try {
      return await runUntil(fnOrPromise);
    } finally {
      await endLocks(env);
    }
  }) as Worker['runUntil'];
  return worker;
}

async function endLocks(env: TestWorkflowEnvironment): Promise<void> {
  const namespace = env.namespace ?? 'default';
  const { executions } = await env.client.workflowService.listOpenWorkflowExecutions({ namespace, maximumPageSize: 1000, typeFilter: { name: 'environmentLock' } });
  for (const { execution } of executions ?? []) {
    await env.client.workflow
      .getHandle(execution!.workflowId!)
      .terminate('the test is over')
      .catch(() => undefined);
  }
}
