// A message from outside (signal, update) as the workflows see it: parsed with a bounded schema,
// and when refused, recorded in a form that can never outgrow Temporal's limits.
import type { z } from 'zod';
import { describeIssues } from './problems';
import type { IgnoredMessage } from './status';
import { isUndecodable } from './undecodable';

/** Enough to recognise what was sent; the rest is cut. */
export const PAYLOAD_PREVIEW_CHARS = 300;
export const REASON_CHARS = 500;
/** Refusals kept in a status; older ones are only counted. */
export const IGNORED_KEPT = 20;

export type Parsed<T> = { ok: true; data: T } | { ok: false; reason: string };

export function parseMessage<T>(schema: z.ZodType<T>, raw: unknown): Parsed<T> {
  if (isUndecodable(raw)) {
    const { encoding, bytes } = raw['ferry:undecodable'];
    return { ok: false, reason: `could not be decoded (encoding ${encoding}, ${bytes} bytes): send JSON (json/plain)` };
  }
  // Temporal's binary/plain payloads decode to bytes, which zod would report key by key.
  if (raw instanceof Uint8Array) return { ok: false, reason: `is binary (${raw.length} bytes): send JSON (json/plain)` };
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, reason: describeIssues(parsed.error).join('; ') };
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text);

function preview(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (isUndecodable(raw)) return `(undecodable: ${raw['ferry:undecodable'].encoding})`;
  if (raw instanceof Uint8Array) return `(${raw.length} bytes)`;
  try {
    return cut(JSON.stringify(raw) ?? String(raw), PAYLOAD_PREVIEW_CHARS);
  } catch {
    return '(not serialisable)';
  }
}

/** Who a payload says sent it, when it names someone. */
function sender(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || isUndecodable(raw)) return undefined;
  const named = (raw as Record<string, unknown>).approver ?? (raw as Record<string, unknown>).by;
  return typeof named === 'string' && named.trim() ? cut(named.trim(), 200) : undefined;
}

/** A refusal as it is kept: the reason and payload cut, the sender named when known. */
export function refusal(name: string, reason: string, raw: unknown, at: string): IgnoredMessage {
  return { name: cut(name, 100), at, reason: cut(reason, REASON_CHARS), from: sender(raw), payload: preview(raw) };
}

/** Adds a refusal to a bounded list, dropping the oldest; returns the new total count. */
export function keepRefusal(list: IgnoredMessage[], entry: IgnoredMessage, countSoFar: number): number {
  list.push(entry);
  if (list.length > IGNORED_KEPT) list.splice(0, list.length - IGNORED_KEPT);
  return countSoFar + 1;
}
