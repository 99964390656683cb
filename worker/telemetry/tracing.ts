// The worker's side of a trace, through Temporal's OpenTelemetry interceptors: each workflow
// (RunWorkflow), each activity it schedules (StartActivity) and the activity's run on a worker
// (RunActivity) become spans under the span of whoever started the workflow (`ferry start`).
// Span attributes are the interceptors' (workflow ID, run ID, activity ID, the types in the span
// names) and, on the workflows' spans, the few fields of WorkflowInfo kept below: arguments,
// results, memo, search attributes and last failures are never recorded.
import type { WorkflowInfo } from '@temporalio/workflow';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import { tracingSettings, type TracingSettings } from '../../common/tracing-settings';

/**
 * The workflow half, bundled with the workflows of a worker that traces, at its start-up. Not in
 * the build's bundle (worker/make-bundle.ts): each workflow loads it into its own module cache,
 * and a worker that does not trace would pay for it in memory and CPU on every workflow.
 */
export const WORKFLOW_INTERCEPTOR_MODULE = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface WorkerTracing {
  activityInterceptors: ActivityInterceptorsFactory[];
  /** Where the workflows' spans leave the sandbox: into the worker's span processor. */
  sinks: InjectedSinks<OpenTelemetrySinks>;
  /** Sends the spans still batched; call it once the worker has stopped. */
  shutdown(): Promise<void>;
}

/**
 * A worker that does not trace may still run a bundle with the workflow interceptors (one an
 * older build made): their spans end in this sink and go no further (no SDK, no exporter,
 * nothing sent), and a sink a workflow calls must be registered or the worker logs an error each time.
 */
export const SINKS_WITHOUT_TRACING: InjectedSinks<OpenTelemetrySinks> = {
  exporter: { export: { fn: () => undefined, callDuringReplay: false } },
};

/** The interceptors and sinks that export the worker's spans, or undefined when the OTEL_* variables do not ask for traces. */
export async function workerTracing(settings: TracingSettings | undefined = tracingSettings(process.env)): Promise<WorkerTracing | undefined> {
  if (settings === undefined) return undefined;
  const { startTracing } = await import('../../client/tracer-provider');
  const otel = await import('@temporalio/interceptors-opentelemetry/lib/worker');
  const tracing = startTracing(settings, 'ferry-worker');
  return {
    activityInterceptors: [
      (ctx) => ({
        inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx),
        // Puts the trace and span IDs on the activities' log lines.
        outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: withInfoTrimmed(otel.makeWorkflowExporter(tracing.spanProcessor, tracing.resource)) },
    shutdown: tracing.shutdown,
  };
}

/**
 * The SDK's workflow exporter copies the whole WorkflowInfo onto every workflow span: the memo,
 * search attributes, last result and last failure too, nested objects no OTLP attribute can hold.
 * Only what names the workflow goes on.
 */
function withInfoTrimmed(sinks: InjectedSinks<OpenTelemetrySinks>['exporter']): InjectedSinks<OpenTelemetrySinks>['exporter'] {
  const { fn } = sinks.export;
  const trimmed = (info: WorkflowInfo) =>
    ({ workflowId: info.workflowId, runId: info.runId, workflowType: info.workflowType, taskQueue: info.taskQueue, namespace: info.namespace, attempt: info.attempt }) as WorkflowInfo;
  return { export: { ...sinks.export, fn: (info, spans) => fn(trimmed(info), spans) } };
}
