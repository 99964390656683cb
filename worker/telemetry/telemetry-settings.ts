// What the worker's logs and metrics look like and where they go, from its environment, checked
// before anything starts (a bad value stops the worker with exit 2, naming the variable).
import net from 'node:net';
import { z } from 'zod';
import { describeIssues, InvalidInputError } from '../../common/problems';

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type FerryLogLevel = (typeof LOG_LEVELS)[number];

/**
 * ip:port as Temporal's runtime binds it: an IPv4 address, or an IPv6 address in brackets (no
 * host name: the SDK refuses one with "invalid socket address syntax"); a port from 1 to 65535.
 */
const bindAddressSchema = z
  .string()
  .max(300)
  .superRefine((value, ctx) => {
    const match = /^(?:\[([^\]]*)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
    const example = '(e.g. 0.0.0.0:9464, 127.0.0.1:9464 or [::]:9464)';
    if (!match) return void ctx.addIssue({ code: 'custom', message: `"${value.slice(0, 100)}" is not host:port ${example}` });
    const [, ipv6, ipv4, port] = match;
    if (ipv6 !== undefined ? net.isIPv6(ipv6) === false : net.isIPv4(ipv4) === false) ctx.addIssue({ code: 'custom', message: `"${(ipv6 ?? ipv4).slice(0, 100)}" is not an IP address ${example}` });
    else if (Number(port) < 1 || Number(port) > 65535) ctx.addIssue({ code: 'custom', message: `"${value}": port ${port} is not between 1 and 65535` });
  });

const telemetryEnvSchema = z.object({
  /** Where the worker serves Prometheus metrics (/metrics); unset: it serves none. */
  FERRY_METRICS_ADDRESS: bindAddressSchema.optional(),
  FERRY_LOG_LEVEL: z
    .string()
    .max(10)
    .transform((level) => level.toUpperCase())
    .pipe(z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ').toLowerCase()}` }))
    .default('INFO'),
  /** json: one object a line; text: for people. Unset: text on a terminal, json otherwise. */
  FERRY_LOG_FORMAT: z
    .string()
    .max(10)
    .transform((format) => format.toLowerCase())
    .pipe(z.enum(['json', 'text'], { message: 'must be json or text' }))
    .optional(),
});

/** Every variable the worker's telemetry reads. */
export const TELEMETRY_ENV_VARS: readonly string[] = Object.keys(telemetryEnvSchema.shape);

export interface TelemetrySettings {
  metricsAddress?: string;
  logLevel: FerryLogLevel;
  logFormat: 'json' | 'text';
}

export function telemetrySettings(env: NodeJS.ProcessEnv = process.env, stderrIsTerminal = process.stderr.isTTY === true): TelemetrySettings {
  // An empty variable counts as unset, as for the worker's other variables.
  const given = Object.fromEntries(TELEMETRY_ENV_VARS.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => [name, env[name]]));
  const parsed = telemetryEnvSchema.safeParse(given);
  if (!parsed.success) throw new InvalidInputError('the worker environment', describeIssues(parsed.error));
  const s = parsed.data;
  return { metricsAddress: s.FERRY_METRICS_ADDRESS, logLevel: s.FERRY_LOG_LEVEL, logFormat: s.FERRY_LOG_FORMAT ?? (stderrIsTerminal ? 'text' : 'json') };
}
