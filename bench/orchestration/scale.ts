// How big a run is. The defaults are issue 13's numbers; FERRY_BENCH_* make a quick run (~2 minutes).
import { z } from 'zod';
import { AT_ONCE_RUNS, type AtOnceRun } from './at-once-runs';

/** The table's figure groups, in its order (bench/orchestration/producers.ts). */
export const FIGURE_NAMES = ['one', 'at-once', 'waiting'] as const;
export type FigureName = (typeof FIGURE_NAMES)[number];

/**
 * A comma-separated choice among `known`, kept in their order; all of them when unset or blank (as
 * `FERRY_BENCH_FIGURES= npm run bench` leaves it). Empty names between commas are passed over;
 * a value of commas alone is refused.
 */
function namesOf<Name extends string>(known: readonly Name[], what: string) {
  return z
    .string()
    .max(200)
    .optional()
    .transform((text, ctx) => {
      const names = (text?.trim() ? text : known.join(','))
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '');
      if (names.length === 0) ctx.addIssue({ code: 'custom', message: `names no ${what} (known: ${known.join(', ')})` });
      const unknown = names.filter((name) => !(known as readonly string[]).includes(name));
      if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `no such ${what}: ${unknown.join(', ')} (known: ${known.join(', ')})` });
      return known.filter((name) => names.includes(name));
    });
}

const count = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

const scaleSchema = z.object({
  /** Interleaved rounds of one promotion per kind, after a warm-up round of each. */
  FERRY_BENCH_ROUNDS: count(1, 100, 7),
  /** Approvals timed from signal to the first change, interleaved, on otherwise idle workers. */
  FERRY_BENCH_APPROVALS: count(1, 200, 20),
  /** Promotions started at once on one fresh worker, each of its own app. */
  FERRY_BENCH_CONCURRENT: count(1, 5_000, 300),
  /** Promotions of one app started at once, to see that stages of one environment never overlap. */
  FERRY_BENCH_SHARED: count(0, 100, 6),
  /** Promotions left waiting for approval on one fresh worker. */
  FERRY_BENCH_WAITING: count(1, 10_000, 1_000),
  /**
   * How many of them are brought to their approval at a time, each wave once the last waits: in a
   * team's steady state they pile up over days, they do not all start in one minute.
   */
  FERRY_BENCH_WAITING_WAVE: count(1, 10_000, 50),
  /** How many of the waiting ones are approved, one at a time, for the latency. */
  FERRY_BENCH_WAITING_APPROVALS: count(1, 200, 20),
  /** The waiting figure's workers' workflow cache (both kinds); unset: the SDK's default. Smaller than the workflows waiting, it shows eviction at work. */
  FERRY_BENCH_WAITING_CACHE: z.coerce.number().int().min(2).max(100_000).optional(),
  /** The many-at-once figure's workers' workflow cache (every kind); unset: the SDK's default. */
  FERRY_BENCH_AT_ONCE_CACHE: z.coerce.number().int().min(2).max(100_000).optional(),
  /** How long the worker idles with every promotion waiting before its memory is read again. */
  FERRY_BENCH_IDLE_MS: count(0, 600_000, 30_000),
  /** The figures to produce, comma-separated, in the table's order (one, at-once, waiting); all when unset. */
  FERRY_BENCH_FIGURES: namesOf(FIGURE_NAMES, 'figures'),
  /** The many-at-once figure's runs, comma-separated; all when unset. Bare always runs: every ratio is to it. */
  FERRY_BENCH_AT_ONCE_RUNS: namesOf(AT_ONCE_RUNS, 'runs').transform((runs) => AT_ONCE_RUNS.filter((run) => run === 'bare' || runs.includes(run))),
});

export type Scale = {
  rounds: number;
  approvals: number;
  concurrent: number;
  shared: number;
  waiting: number;
  waitingApprovals: number;
  waitingWave: number;
  waitingCache?: number;
  atOnceCache?: number;
  idleMs: number;
  figures: FigureName[];
  atOnceRuns: AtOnceRun[];
};

export function scaleFromEnv(env: NodeJS.ProcessEnv = process.env): Scale {
  const parsed = scaleSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`bench scale: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const s = parsed.data;
  return {
    rounds: s.FERRY_BENCH_ROUNDS,
    approvals: s.FERRY_BENCH_APPROVALS,
    concurrent: s.FERRY_BENCH_CONCURRENT,
    shared: s.FERRY_BENCH_SHARED,
    waiting: s.FERRY_BENCH_WAITING,
    waitingApprovals: Math.min(s.FERRY_BENCH_WAITING_APPROVALS, s.FERRY_BENCH_WAITING),
    ...(s.FERRY_BENCH_WAITING_CACHE === undefined ? {} : { waitingCache: s.FERRY_BENCH_WAITING_CACHE }),
    ...(s.FERRY_BENCH_AT_ONCE_CACHE === undefined ? {} : { atOnceCache: s.FERRY_BENCH_AT_ONCE_CACHE }),
    idleMs: s.FERRY_BENCH_IDLE_MS,
    waitingWave: s.FERRY_BENCH_WAITING_WAVE,
    figures: s.FERRY_BENCH_FIGURES,
    atOnceRuns: s.FERRY_BENCH_AT_ONCE_RUNS,
  };
}
