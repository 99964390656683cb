// Summaries of a figure's samples. Pure: the unit tests pin them, so the table's arithmetic can fail.

export interface Summary {
  n: number;
  min: number;
  median: number;
  max: number;
  p50: number;
  p95: number;
}

const ascending = (samples: readonly number[]) => [...samples].sort((a, b) => a - b);

/** Nearest rank: the smallest sample with at least `pct` percent of the samples at or below it. */
export function percentile(samples: readonly number[], pct: number): number {
  if (samples.length === 0) throw new Error('no samples to take a percentile of');
  const sorted = ascending(samples);
  const rank = Math.max(1, Math.ceil((pct / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = ascending(samples);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { n: sorted.length, min: sorted[0], median, max: sorted.at(-1)!, p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

/** Round i of Ferry against round i of bare: interleaved rounds share the machine's state. */
export function pairedRatios(ferry: readonly number[], bare: readonly number[]): number[] {
  if (ferry.length !== bare.length) throw new Error(`${ferry.length} Ferry samples against ${bare.length} bare cannot be paired`);
  return ferry.map((f, i) => f / bare[i]);
}

export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
}
