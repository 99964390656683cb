// The CLI's side of a trace: `ferry start`'s StartWorkflow span is the trace's root, and the
// workflows it starts carry its context in their headers. Without the OTEL_* variables that turn
// tracing on (common/tracing-settings.ts) nothing of OpenTelemetry is loaded.
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { tracingSettings } from '../common/tracing-settings';

export interface ClientTracing {
  workflowInterceptors: WorkflowClientInterceptor[];
  shutdown(): Promise<void>;
}

export async function clientTracing(env: NodeJS.ProcessEnv): Promise<ClientTracing | undefined> {
  const settings = tracingSettings(env);
  if (settings === undefined) return undefined;
  const { startTracing } = await import('./tracer-provider');
  const { OpenTelemetryWorkflowClientInterceptor } = await import('@temporalio/interceptors-opentelemetry/lib/client');
  const tracing = startTracing(settings, 'ferry');
  // Reads are not traced: `--wait` and `status --watch` ask every second, a trace each time.
  type Traced = InstanceType<typeof OpenTelemetryWorkflowClientInterceptor>;
  class WritesOnly extends OpenTelemetryWorkflowClientInterceptor {
    override query(...[input, next]: Parameters<Traced['query']>) {
      return next(input);
    }
    override describe(...[input, next]: Parameters<Traced['describe']>) {
      return next(input);
    }
  }
  return { workflowInterceptors: [new WritesOnly()], shutdown: tracing.shutdown };
}
