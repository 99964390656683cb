// The OpenTelemetry SDK for Ferry's traces, set up only when common/tracing-settings.ts says so:
// nothing imports this file eagerly, so a CLI or worker that does not trace never loads the SDK.
import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { OtlpProtocol, TracingSettings } from '../common/tracing-settings';

export interface Tracing {
  /** Every span Ferry makes goes through it: the SDK's own, and those workflows hand over through their sink. */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Sends the spans still batched and stops; call it before the process exits. */
  shutdown(): Promise<void>;
}

/** Each protocol's exporter, loaded alone: endpoint, headers and timeout come from the OTEL_* variables. */
function exporterFor(protocol: OtlpProtocol): SpanExporter {
  switch (protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
    case 'http/json':
      return new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
    case 'http/protobuf':
      return new (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  }
}

/**
 * Registers the global tracer provider (with the W3C trace-context propagator the Temporal
 * interceptors carry the trace in) and returns what the interceptors and sinks need.
 * `serviceName` is the default; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over it.
 */
export function startTracing(settings: TracingSettings, serviceName: string): Tracing {
  // An unreachable collector is worth a line on stderr, not silence (the SDK's default).
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
  const resource = new Resource({ 'service.name': serviceName }).merge(envDetectorSync.detect()) as Resource;
  const spanProcessor = new BatchSpanProcessor(exporterFor(settings.protocol));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { spanProcessor, resource, shutdown: () => shutdownWarning(provider) };
}

/**
 * Sends what is batched and stops. An unreachable collector costs one line on stderr, never the
 * outcome of the command or the worker's drain (the SDK's shutdown rejects with the export's error).
 */
async function shutdownWarning(provider: NodeTracerProvider): Promise<void> {
  try {
    await provider.shutdown();
  } catch (error) {
    // An error may quote the endpoint, whose URL may carry user:password@.
    const why = (error instanceof Error ? error.message : String(error))
      .split('\n')[0]
      .replace(/^Error: /, '')
      .replace(/\/\/[^/@\s]*@/g, '//')
      .slice(0, 300);
    process.stderr.write(`ferry: traces not sent: ${why}\n`);
  }
}
