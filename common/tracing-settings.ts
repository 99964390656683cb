// Whether Ferry (CLI and worker alike) traces, from the OpenTelemetry spec's own variables. One
// departure from the spec: its OTEL_TRACES_EXPORTER defaults to otlp, but a Ferry with nothing
// set must not try to reach a collector on localhost nor load the SDK, so tracing is on only when
// OTEL_TRACES_EXPORTER=otlp or an OTLP endpoint is set. The exporters read the rest themselves
// (headers, timeout, compression, certificates), and the SDK its sampler and batch settings.
import { z } from 'zod';
import { describeIssues, InvalidInputError } from './problems';

export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export interface TracingSettings {
  protocol: OtlpProtocol;
}

// The message says what a URL is, never the value: an endpoint may carry user:password@.
const endpoint = z
  .string()
  .max(2000, 'must be at most 2000 characters')
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'must be a URL with http:// or https://, such as http://collector:4318');
const protocol = z.enum(OTLP_PROTOCOLS, { error: `must be one of ${OTLP_PROTOCOLS.join(', ')}` });

const tracingEnvSchema = z.object({
  OTEL_SDK_DISABLED: z.string().max(20).optional(),
  OTEL_TRACES_EXPORTER: z
    .string()
    .max(200)
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine((names) => names.length <= 10, 'must name at most 10 exporters')
    .superRefine((names, ctx) => {
      const other = names.find((name) => name !== 'otlp' && name !== 'none');
      if (other !== undefined) ctx.addIssue({ code: 'custom', message: `Ferry exports traces over OTLP only: set otlp or none, not ${other.slice(0, 40)}` });
    }),
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol.optional(),
});

/** How to export traces, or undefined when Ferry does not trace (nothing set, `none`, or the SDK disabled). */
export function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings | undefined {
  const given = Object.fromEntries(
    Object.keys(tracingEnvSchema.shape)
      .map((name) => [name, env[name]?.trim()] as const)
      // An empty variable counts as unset, as the spec says.
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = tracingEnvSchema.safeParse(given);
  if (!parsed.success) throw new InvalidInputError('the OpenTelemetry variables', describeIssues(parsed.error));
  const s = parsed.data;
  if (s.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return undefined;
  if (s.OTEL_TRACES_EXPORTER.includes('none')) return undefined;
  const wanted = s.OTEL_TRACES_EXPORTER.includes('otlp') || s.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined;
  if (!wanted) return undefined;
  return { protocol: s.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? s.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf' };
}
