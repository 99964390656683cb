import type { z } from 'zod';
import { lazySchema } from './lazy-schema';

// Pure and deterministic: this module runs inside the Temporal workflow sandbox,
// so it never reads the clock and only uses Intl for time-zone rules.

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_JUMPS = 1000;

function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export const freezeWindowSchema = lazySchema((z) =>
  z
    .object({
      days: z
        .array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']))
        .min(1)
        .max(7, 'must list at most 7 days'),
      from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM between 00:00 and 23:59'),
      to: z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected HH:MM between 00:00 and 24:00'),
      timezone: z
        .string()
        .max(100, { message: 'must be at most 100 characters', abort: true })
        .superRefine((timeZone, ctx) => {
          if (!isKnownTimeZone(timeZone)) {
            ctx.addIssue({ code: 'custom', message: `unknown time zone "${timeZone}"` });
          }
        }),
      reason: z.string().max(200, 'must be at most 200 characters').optional(),
    })
    .strict()
    .refine((w) => w.from !== w.to, {
      message: '"from" and "to" must differ (from > to wraps past midnight)',
      path: ['to'],
    }),
);

export type FreezeWindow = z.infer<typeof freezeWindowSchema>;

/** Local wall-clock time, with `naive` = the wall time read as if it were UTC. */
interface WallTime {
  naive: number;
  midnight: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallTime(timeZone: string, atMs: number): WallTime {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    // The date parts are needed (not just the weekday) so that wall times can be compared across days.
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, fmt);
  }
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(atMs)) p[part.type] = Number(part.value);
  const midnight = Date.UTC(p.year, p.month - 1, p.day);
  const subSecond = ((atMs % 1000) + 1000) % 1000;
  const naive = midnight + ((p.hour * 60 + p.minute) * 60 + p.second) * 1000 + subSecond;
  return { naive, midnight, weekday: new Date(midnight).getUTCDay() };
}

const offsetMs = (timeZone: string, atMs: number) => wallTime(timeZone, atMs).naive - atMs;

function clockMs(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h * 60 + m) * 60 * 1000;
}

/** Naive local end of `w` if it is active at wall time `t`, else undefined. */
function localEnd(w: FreezeWindow, t: WallTime): number | undefined {
  const from = clockMs(w.from);
  const to = clockMs(w.to);
  const sinceMidnight = t.naive - t.midnight;
  const listed = (weekday: number) => w.days.includes(DAY_NAMES[(weekday + 7) % 7]);
  if (from < to) {
    return listed(t.weekday) && sinceMidnight >= from && sinceMidnight < to ? t.midnight + to : undefined;
  }
  // Wrapping window: the head runs from `from` to midnight, the tail belongs to the previous day's window.
  if (listed(t.weekday) && sinceMidnight >= from) return t.midnight + DAY_MS + to;
  if (listed(t.weekday - 1) && sinceMidnight < to) return t.midnight + to;
  return undefined;
}

/**
 * First instant >= afterMs whose wall time in `timeZone` is >= `naiveTarget`.
 * Solving instant = target - offset(instant) converges in two steps unless the
 * target falls in a spring-forward gap; then it flips between the two sides of
 * the gap and the answer is the transition itself.
 */
function instantOfLocal(timeZone: string, naiveTarget: number, afterMs: number): number {
  let prev = afterMs;
  let cur = naiveTarget - offsetMs(timeZone, afterMs);
  for (let i = 0; i < 4 && cur !== prev; i++) {
    const next = naiveTarget - offsetMs(timeZone, cur);
    if (next === prev) {
      // Binary search (whole seconds) for the instant the offset changes.
      let lo = Math.min(cur, next);
      let hi = Math.max(cur, next);
      const after = offsetMs(timeZone, hi);
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (offsetMs(timeZone, mid) === after) hi = mid;
        else lo = mid;
      }
      return hi;
    }
    prev = cur;
    cur = next;
  }
  return cur;
}

export function activeFreezeWindow(windows: FreezeWindow[], atMs: number): FreezeWindow | undefined {
  return windows.find((w) => localEnd(w, wallTime(w.timezone, atMs)) !== undefined);
}

export function freezeEndsAt(windows: FreezeWindow[], atMs: number): number | undefined {
  let t = atMs;
  // Another window may be active (or become active again) at the end of the current one,
  // so jump window by window and re-check.
  for (let jump = 0; jump < MAX_JUMPS; jump++) {
    const w = activeFreezeWindow(windows, t);
    if (!w) return jump === 0 ? undefined : t;
    const end = localEnd(w, wallTime(w.timezone, t))!;
    t = instantOfLocal(w.timezone, end, t);
  }
  throw new Error('freeze windows never end');
}

export function describeFreezeWindow(w: FreezeWindow): string {
  const base = `${w.days.join(',')} ${w.from}–${w.to} ${w.timezone}`;
  return w.reason ? `${base} (${w.reason})` : base;
}
