// The worker's log lines: the SDK's (worker, workflow `log`, activity `log`, and core's, forwarded)
// and Ferry's own, one a line on stderr. As JSON for log collectors, as text for people.
import { DefaultLogger, type LogEntry, type Logger } from '@temporalio/worker';
import type { FerryLogLevel } from './telemetry-settings';

type Write = (line: string) => void;

/** Error objects as their message (and name), BigInts as strings: JSON.stringify drops or throws on both. */
function plain(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** An entry's fields: time, level, msg, then its attributes (promotion, environment, step, the SDK's workflowId...). */
export function logFields(entry: LogEntry): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  // Symbol keys (the SDK's timestamp) are not attributes.
  for (const [key, value] of Object.entries(entry.meta ?? {})) if (value !== undefined) attributes[key] = plain(value);
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return { time, level: entry.level, msg: entry.message, ...attributes };
}

export function formatJson(entry: LogEntry): string {
  return JSON.stringify(logFields(entry), (_key, value: unknown) => plain(value));
}

export function formatText(entry: LogEntry): string {
  const { time, level, msg, ...attributes } = logFields(entry);
  const rest = Object.entries(attributes)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value, (_k, v: unknown) => plain(v))}`)
    .join(' ');
  return `${time} ${String(level).padEnd(5)} ${msg}${rest ? `  ${rest}` : ''}`;
}

/** A logger writing entries at `level` and above in `format`, one a line (to stderr unless told). */
export function ferryLogger(level: FerryLogLevel, format: 'json' | 'text', write: Write = (line) => process.stderr.write(line + '\n')): Logger {
  const formatted = format === 'json' ? formatJson : formatText;
  return new DefaultLogger(level, (entry) => write(formatted(entry)));
}
