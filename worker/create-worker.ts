import { ferryBundlerOptions } from '../common/workflow-bundle';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivitySettings } from '../activities';
import { ferryDataConverter } from '../common/data-converter';
import { activityLogAttributes } from './telemetry/activity-log-attributes';
import { SINKS_WITHOUT_TRACING, WORKFLOW_INTERCEPTOR_MODULE, type WorkerTracing } from './telemetry/tracing';

export interface FerryWorkerOptions {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (the build's, or the tests'); without one the workflows are bundled at start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  activities: ActivitySettings;
  /** How long running activities may finish after shutdown is asked for (SIGINT/SIGTERM) before they are cancelled. */
  shutdownGraceMs?: number;
  /** FERRY_WORKER_MAX_CACHED_WORKFLOWS; without it the SDK's default (it scales with the heap limit). */
  maxCachedWorkflows?: number;
  /** Exports the workflows' and activities' spans (worker/telemetry/tracing.ts); without it they go nowhere. */
  tracing?: WorkerTracing;
}

/** How late, at most, a running activity hears of its cancellation (it heartbeats more often). */
export const HEARTBEAT_THROTTLE = '5s';

/** After the grace, cancelled activities get this long to stop (kill their process groups) before the worker gives up on them. */
const CANCEL_GRACE_MS = 30_000;

/**
 * The SDK's maxConcurrentWorkflowTaskExecutions when not set. Given a cache, the slots must follow
 * it: the SDK's own check that would lower them never applies once it has built its tuner, and
 * core then holds back tasks it has no cache room for.
 */
const SDK_WORKFLOW_TASK_SLOTS = 40;

/** Ferry's workflows, bundled as the worker starts (a worker given a bundle never resolves them). */
function bundledAtStartUp(): Pick<WorkerOptions, 'workflowsPath' | 'bundlerOptions'> {
  const workflowsPath = require.resolve('../workflows');
  return { workflowsPath, bundlerOptions: ferryBundlerOptions(workflowsPath) };
}

/** A worker that runs Ferry's workflows and activities on one task queue. */
export function createFerryWorker(options: FerryWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : bundledAtStartUp()),
    // Only a tracing worker's workflows carry tracing's interceptors (a prebuilt bundle has none).
    interceptors: {
      ...(options.tracing && !options.workflowBundle ? { workflowModules: [WORKFLOW_INTERCEPTOR_MODULE] } : {}),
      activity: [...(options.tracing?.activityInterceptors ?? []), activityLogAttributes],
    },
    sinks: options.tracing?.sinks ?? SINKS_WITHOUT_TRACING,
    dataConverter: ferryDataConverter,
    activities: createActivities(options.client, options.activities),
    shutdownGraceTime: options.shutdownGraceMs ?? 0,
    shutdownForceTime: (options.shutdownGraceMs ?? 0) + CANCEL_GRACE_MS,
    // An activity learns it was cancelled (an abort) from the answer to a heartbeat it sent on to
    // the server, which by default happens only every 48 s of a one-minute heartbeat timeout.
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    ...(options.maxCachedWorkflows !== undefined
      ? {
          maxCachedWorkflows: options.maxCachedWorkflows,
          maxConcurrentWorkflowTaskExecutions: Math.min(SDK_WORKFLOW_TASK_SLOTS, options.maxCachedWorkflows),
        }
      : {}),
  });
}
