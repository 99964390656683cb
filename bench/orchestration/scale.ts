// How big a run is. The defaults are issue 13's numbers; FERRY_BENCH_* make a quick run (~2 minutes).
import { z } from 'zod';

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
  /** How many of the waiting ones are approved, one at a time, for the latency. */
  FERRY_BENCH_WAITING_APPROVALS: count(1, 200, 20),
  /** The waiting figure's workers' workflow cache (both kinds); unset: the SDK's default. Smaller than the workflows waiting, it shows eviction at work. */
  FERRY_BENCH_WAITING_CACHE: z.coerce.number().int().min(2).max(100_000).optional(),
  /** How long the worker idles with every promotion waiting before its memory is read again. */
  FERRY_BENCH_IDLE_MS: count(0, 600_000, 30_000),
});

export type Scale = {
  rounds: number;
  approvals: number;
  concurrent: number;
  shared: number;
  waiting: number;
  waitingApprovals: number;
  waitingCache?: number;
  idleMs: number;
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
    idleMs: s.FERRY_BENCH_IDLE_MS,
  };
}
