import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { formatDuration } from '../common/duration';
import type { WorkerSettings } from './connection-options';
import { createFerryWorker } from './create-worker';
import { buildDirOfThisWorker, prebuiltWorkflowBundle } from './prebuilt-bundle';
import { installTelemetry } from './telemetry/install-runtime';
import { telemetrySettings, type TelemetrySettings } from './telemetry/telemetry-settings';
import { tracingSettings, type TracingSettings } from '../common/tracing-settings';
import { workerTracing } from './telemetry/tracing';

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Serves one task queue until SIGINT or SIGTERM (the SDK's shutdown signals). The worker then
 * takes no new tasks, lets running activities finish for up to FERRY_SHUTDOWN_GRACE, cancels
 * the ones still running (commands lose their process groups), and this returns. A second
 * signal stops the process at once.
 *
 * Its log lines (and the SDK's) go to stderr as FERRY_LOG_FORMAT and FERRY_LOG_LEVEL say, and
 * with FERRY_METRICS_ADDRESS it serves Prometheus metrics, with the OTEL_* variables it exports
 * traces; all are checked before it binds or connects anything (worker/startup-settings.ts checks
 * them together with the rest of its environment).
 */
export async function runWorker(
  settings: WorkerSettings,
  print: (line: string) => void = console.info,
  telemetry: TelemetrySettings = telemetrySettings(),
  tracingWanted: TracingSettings | undefined = tracingSettings(process.env),
): Promise<void> {
  const installed = installTelemetry(telemetry);
  const tracing = await workerTracing(tracingWanted);
  const log = installed.ours ? (line: string) => installed.logger.info(line, { taskQueue: settings.taskQueue }) : print;
  const { address, tls, apiKey, metadata } = settings;
  let connection: NativeConnection | undefined;
  let lockConnection: Connection | undefined;
  const grace = formatDuration(settings.shutdownGraceMs);
  const stopListening = () => SHUTDOWN_SIGNALS.forEach((signal) => process.off(signal, onSignal));
  // Only the first signal: the SDK stops listening too, so a second one ends the process as usual.
  const onSignal = (signal: string) => {
    stopListening();
    log(`ferry worker (${settings.taskQueue}): ${signal}: taking no new tasks; running activities have up to ${grace} to finish (a second signal stops at once)`);
  };
  try {
    const connecting = NativeConnection.connect({ address, tls, apiKey, metadata });
    // Checked while the connection is made: the check hashes the bundle and every file it was made
    // from (about 20 ms of a launch that would otherwise wait for both in turn).
    const workflowBundle = checkedWhileConnecting(connecting, () => prebuiltWorkflowBundle(buildDirOfThisWorker(), log, { traced: tracing !== undefined }));
    connection = await connecting;
    // The lock activities' client has a connection of its own, outside the SDK's core: each of the
    // lock's queries and updates waits on a workflow task this very worker completes, and on the
    // worker's connection they ran out their deadlines under load (README, Performance). It
    // connects on the first lock call, not before the first poll, and like the worker's through no
    // proxy (grpc-js would take one from the environment). The SDK adds its own headers to the
    // metadata it is given: a copy.
    lockConnection = Connection.lazy({ address, tls, apiKey, metadata: metadata && { ...metadata }, channelArgs: { 'grpc.enable_http_proxy': 0 } });
    const client = new Client({ connection: lockConnection, namespace: settings.namespace });
    const worker = await createFerryWorker({
      connection,
      client,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      workflowBundle,
      activities: { stateDir: settings.stateDir },
      shutdownGraceMs: settings.shutdownGraceMs,
      maxCachedWorkflows: settings.maxCachedWorkflows,
      tracing,
    });
    for (const signal of SHUTDOWN_SIGNALS) process.on(signal, onSignal);
    const metrics = installed.metricsAddress ? `, metrics on http://${installed.metricsAddress}/metrics` : '';
    const cache = settings.maxCachedWorkflows !== undefined ? `, workflow cache ${settings.maxCachedWorkflows}` : '';
    log(`ferry worker: ${settings.address}, namespace ${settings.namespace}, task queue ${settings.taskQueue}, shutdown grace ${grace}${cache}${metrics}`);
    await worker.run();
  } finally {
    stopListening();
    await Promise.all([connection?.close(), lockConnection?.close()]);
    // The spans of the last activities, still batched.
    await tracing?.shutdown();
  }
}

/** What `check` returns; if it throws, the connection being made is closed once it is made, and the error thrown. */
export function checkedWhileConnecting<T>(connecting: Promise<NativeConnection>, check: () => T): T {
  try {
    return check();
  } catch (error) {
    connecting.then((connection) => connection.close()).catch(() => undefined);
    throw error;
  }
}
