// A real OpenTelemetry collector for the tracing tests: the one scripts/bootstrap-tools.js builds
// from scripts/otel-collector (OTLP receiver over gRPC and HTTP, file exporter), on free ports or
// given ones, writing every span it receives to a file as OTLP JSON lines.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../../activities/targets/local/probes';
import { tempDir } from './git-repo';
import { startLogged } from './logged-process';
import { toolPaths } from './tools';

export interface RunningCollector {
  /** OTLP over HTTP, e.g. http://127.0.0.1:41234 (the exporter adds /v1/traces). */
  httpEndpoint: string;
  /** OTLP over gRPC, e.g. http://127.0.0.1:41235 */
  grpcEndpoint: string;
  /** Every span received so far. */
  spans(): ReceivedSpan[];
  stop(): Promise<void>;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  /** The resource's service.name */
  service: string;
}

const START_TIMEOUT_MS = 30_000;

export function collectorBinary(): string {
  const binary = toolPaths().otelcol;
  if (!binary) {
    throw new Error('no OpenTelemetry collector is recorded in .tools/tools.json: run `npm run tools` (npm test does it for you) ' + 'and read its warning; it builds scripts/otel-collector with Go.');
  }
  if (!fs.existsSync(binary)) throw new Error(`${binary} (from .tools/tools.json) is gone: run \`npm run tools\` again`);
  return binary;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpLine {
  resourceSpans: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[] }> }>;
  }>;
}

const valueOf = (v: OtlpValue) => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** The spans in the file exporter's output: one OTLP JSON document per line (a line still being written is left for later). */
export function parseSpans(text: string): ReceivedSpan[] {
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => (JSON.parse(line) as OtlpLine).resourceSpans)
    .flatMap((rs) => {
      const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
      return rs.scopeSpans.flatMap((ss) =>
        (ss.spans ?? []).map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name,
          attributes: attributesOf(s.attributes),
          service,
        })),
      );
    });
}

/** Starts the collector; `ports` pins them (e.g. the spec's defaults, 4317 and 4318), else free ones. */
export async function startCollector(ports?: { grpc: number; http: number }): Promise<RunningCollector> {
  const binary = collectorBinary();
  const dir = tempDir('otel-collector');
  const spansFile = path.join(dir, 'spans.jsonl');
  const grpc = ports?.grpc ?? (await freePort());
  const http = ports?.http ?? (await freePort());
  const config = path.join(dir, 'collector.yaml');
  fs.writeFileSync(
    config,
    [
      'receivers:',
      '  otlp:',
      '    protocols:',
      `      grpc: { endpoint: "127.0.0.1:${grpc}" }`,
      `      http: { endpoint: "127.0.0.1:${http}" }`,
      'exporters:',
      `  file: { path: ${JSON.stringify(spansFile)}, flush_interval: 100ms }`,
      'service:',
      '  telemetry: { metrics: { level: none } }',
      '  pipelines:',
      '    traces: { receivers: [otlp], exporters: [file] }',
      '',
    ].join('\n'),
  );
  const logFile = path.join(dir, 'collector.log');
  const collector = startLogged(binary, ['--config', config], logFile);
  const stop = () => collector.stop();
  for (const giveUpAt = Date.now() + START_TIMEOUT_MS; !collector.exited() && Date.now() < giveUpAt; await delay(100)) {
    if (fs.readFileSync(logFile, 'utf8').includes('Everything is ready')) {
      return {
        httpEndpoint: `http://127.0.0.1:${http}`,
        grpcEndpoint: `http://127.0.0.1:${grpc}`,
        spans: () => (fs.existsSync(spansFile) ? parseSpans(fs.readFileSync(spansFile, 'utf8')) : []),
        stop,
      };
    }
  }
  await stop();
  throw new Error(`the OpenTelemetry collector (${binary}) ${collector.exited() ?? `was not ready within ${START_TIMEOUT_MS} ms`}:\n${collector.tail()}`);
}
