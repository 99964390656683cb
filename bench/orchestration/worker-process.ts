// The worker under test, in a process of its own so its CPU time and memory are its own.
// Ferry: the real workflows, no-op activities, the real lock activities. Bare: the baseline
// workflow and the same no-op activities. The floor: its workflows, the same no-op activities and
// its lock's one call. Each on its own task queue.
import fs from 'node:fs';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { lockActivities } from '../../activities/environment-lock';
import { checkAsksTheHolder } from '../../common/holder-check';
import { ferryDataConverter } from '../../common/data-converter';
import { stubActivities, type StubbedActivities } from '../../test/helpers/stub-activities';
import { HEARTBEAT_THROTTLE } from '../../worker/create-worker';
import { activityLogAttributes } from '../../worker/telemetry/activity-log-attributes';
import { SINKS_WITHOUT_TRACING } from '../../worker/telemetry/tracing';
import { stageRequestSignal, type FloorEnvironmentActivities } from './floor-environment-workflow';
import { claimUpdate, queueSignal, type FloorLockActivities } from './floor-workflow';
import { sampleMemory, snapshotWorkflowThreads } from './memory-breakdown';
import { countPromises } from './promise-count';
import { childArgsSchema, replySchema, requestSchema, taskQueueOf, type Reply } from './ipc';

function send(reply: Reply): void {
  process.send!(replySchema.parse(reply));
}

function peakRssBytes(): number {
  const line = fs
    .readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  const kib = line ? Number(line.replace(/\D+/g, '')) : Number.NaN;
  return Number.isFinite(kib) ? kib * 1024 : process.memoryUsage().rss;
}

/**
 * FERRY_BENCH_HEAP_SNAPSHOT_DIR: once the worker's cache has been full for a few seconds, a heap
 * snapshot of its workflow thread, to see what the cached workflows hold.
 */
function snapshotOnceFull(worker: Worker, dir: string, label: string): void {
  let fullSince: number | undefined;
  const timer = setInterval(() => {
    const full = worker.getStatus().numCachedWorkflows >= worker.options.maxCachedWorkflows;
    fullSince = full ? (fullSince ?? Date.now()) : undefined;
    if (fullSince === undefined || Date.now() - fullSince < 5_000) return;
    clearInterval(timer);
    // A snapshot that cannot be written is said, not thrown: the run it was asked of goes on.
    snapshotWorkflowThreads(dir, label).then(
      () => console.error(`heap snapshot of ${label} written to ${dir}`),
      (error: unknown) => console.error(`heap snapshot of ${label} not written: ${String(error)}`),
    );
  }, 500);
  timer.unref();
}

async function main(): Promise<void> {
  const args = childArgsSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  let created: Worker | undefined;
  const memory = sampleMemory(() => created?.getStatus().numCachedWorkflows ?? 0);
  // The first change in an environment after its approval: production's backup, in both kinds.
  const backupStarted = new Map<string, number>();
  const noop = stubActivities({
    backupDatabase: async ({ promotionId, environment }) => {
      if (!backupStarted.has(promotionId)) backupStarted.set(promotionId, Date.now());
      return { file: `/var/backups/${promotionId}-${environment}.dump`, bytes: 4096, sha256: 'ab'.repeat(32) };
    },
  });
  // The stub keeps every call for tests to read; a bench of thousands of promotions must not.
  const activities = Object.fromEntries(
    Object.entries(noop.activities).map(([name, fn]) => [
      name,
      async (input: unknown) => {
        const result = await (fn as (input: unknown) => Promise<unknown>)(input);
        noop.calls.length = 0;
        return result;
      },
    ]),
  ) as unknown as StubbedActivities;

  const connection = await NativeConnection.connect({ address: args.address });
  const workflowBundle = { codePath: args.bundlePath };
  // As `ferry worker` sets a cache: the workflow-task slots follow it (worker/create-worker.ts).
  const cache = args.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: args.maxCachedWorkflows, maxConcurrentWorkflowTaskExecutions: Math.min(40, args.maxCachedWorkflows) };
  const promiseCountDir = process.env.FERRY_BENCH_PROMISE_COUNT_DIR || undefined;
  // Debug mode runs the workflows in this thread, where a promise hook of ours sees them.
  const threading = promiseCountDir ? { debugMode: true } : {};
  let worker: Worker;
  const lockAnswers = { granted: 0, queued: 0 };
  const holderChecks = { all: 0, askedTheHolder: 0 };
  if (args.kind === 'ferry') {
    // As `ferry worker` makes it (worker/run-worker.ts): a connection of its own, outside the SDK's core.
    const client = new Client({ connection: await Connection.connect({ address: args.address }) });
    const locks = lockActivities(client);
    const askForLock: typeof locks.askForLock = async (input) => {
      const answer = await locks.askForLock(input);
      lockAnswers[answer]++;
      return answer;
    };
    const checkHolder: typeof locks.checkHolder = (input) => {
      holderChecks.all++;
      if (checkAsksTheHolder(input)) holderChecks.askedTheHolder++;
      return locks.checkHolder(input);
    };
    worker = await Worker.create({
      connection,
      taskQueue: taskQueueOf('ferry'),
      workflowBundle,
      ...cache,
      ...threading,
      dataConverter: ferryDataConverter,
      activities: { ...locks, askForLock, checkHolder, ...activities },
      maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
      // As `ferry worker` runs with tracing off.
      interceptors: { activity: [activityLogAttributes] },
      sinks: SINKS_WITHOUT_TRACING,
    });
  } else if (args.kind === 'floor') {
    const client = new Client({ connection });
    const floorLocks: FloorLockActivities = {
      claimLock: async ({ lockId, requester, taskQueue }) => {
        if (args.floorClaim === 'signal') {
          await client.workflow.signalWithStart('floorLock', { workflowId: lockId, taskQueue, signal: queueSignal, signalArgs: [requester] });
          return 'queued';
        }
        return client.workflow.executeUpdateWithStart(claimUpdate, {
          args: [requester],
          startWorkflowOperation: new WithStartWorkflowOperation('floorLock', { workflowId: lockId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' }),
        });
      },
    };
    const floorEnvironments: FloorEnvironmentActivities = {
      requestStage: async ({ environmentId, request, taskQueue, searchAttributes }) => {
        await client.workflow.signalWithStart('floorEnvironment', { workflowId: environmentId, taskQueue, signal: stageRequestSignal, signalArgs: [request], typedSearchAttributes: searchAttributes });
      },
    };
    worker = await Worker.create({ connection, taskQueue: taskQueueOf('floor'), workflowBundle, ...cache, ...threading, activities: { ...activities, ...floorLocks, ...floorEnvironments } });
  } else {
    worker = await Worker.create({ connection, taskQueue: taskQueueOf('bare'), workflowBundle, ...cache, ...threading, activities });
  }
  created = worker;
  // After the worker exists: its promise hook marks each workflow promise with its run first.
  if (promiseCountDir) countPromises(promiseCountDir, args.bundlePath, args.kind);
  const running = worker.run();
  const snapshotDir = process.env.FERRY_BENCH_HEAP_SNAPSHOT_DIR;
  if (snapshotDir) snapshotOnceFull(worker, snapshotDir, `${args.kind}-${process.pid}`);

  process.on('message', (raw) => {
    const request = requestSchema.parse(raw);
    if (request.type === 'stats') {
      const cpu = process.cpuUsage();
      send({
        type: 'stats',
        id: request.id,
        stats: {
          cpuMicros: cpu.user + cpu.system,
          rssBytes: process.memoryUsage().rss,
          peakRssBytes: peakRssBytes(),
          memoryAtPeak: memory.atPeak(),
          allocated: memory.allocated(),
          ...(args.kind === 'ferry' ? { lockAnswers: { ...lockAnswers }, holderChecks: { ...holderChecks } } : {}),
        },
      });
    } else if (request.type === 'changes') {
      const at: Record<string, number> = {};
      for (const id of request.promotionIds) {
        const when = backupStarted.get(id);
        if (when !== undefined) at[id] = when;
      }
      send({ type: 'changes', id: request.id, at });
    } else {
      worker.shutdown();
      void running.then(() => {
        send({ type: 'stopped', id: request.id });
        process.exit(0);
      });
    }
  });
  send({ type: 'ready', maxCachedWorkflows: worker.options.maxCachedWorkflows });
  await running;
}

main().catch((error) => {
  send({ type: 'failed', error: String(error?.stack ?? error).slice(0, 10_000) });
  process.exit(1);
});
