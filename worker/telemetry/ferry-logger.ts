// The worker's log lines: the SDK's (worker, workflow `log`, activity `log`, and core's, forwarded)
// and Ferry's own, one a line on stderr. As JSON for log collectors, as text for people.
import { DefaultLogger, type LogEntry, type Logger } from '@temporalio/worker';
import type { FerryLogLevel } from './telemetry-settings';

type Write = (line: string) => void;

const MAX_CAUSES = 10;

/**
 * Error objects as their name, message, the messages of their causes and (for JSON, where a
 * collector keeps it in a field) their stack; BigInts as strings: JSON.stringify drops or throws on both.
 */
function plain(value: unknown, withStack = false): unknown {
  if (value instanceof Error) {
    const causes: string[] = [];
    for (let cause = value.cause; cause !== undefined && causes.length < MAX_CAUSES; cause = cause instanceof Error ? cause.cause : undefined) {
      causes.push(cause instanceof Error ? cause.message : String(cause));
    }
    return { name: value.name, message: value.message, ...(causes.length > 0 ? { causes } : {}), ...(withStack && value.stack ? { stack: value.stack } : {}) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** An entry's fields: time, level, msg, then its attributes (promotion, environment, step, the SDK's workflowId...). */
export function logFields(entry: LogEntry, withStack = false): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  // Symbol keys (the SDK's timestamp) are not attributes.
  for (const [key, value] of Object.entries(entry.meta ?? {})) if (value !== undefined) attributes[key] = plain(value, withStack);
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return { time, level: entry.level, msg: entry.message, ...attributes };
}

export function formatJson(entry: LogEntry): string {
  return JSON.stringify(logFields(entry, true), (_key, value: unknown) => plain(value, true));
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
