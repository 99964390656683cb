// The many-at-once figure's runs, each on a fresh worker of its own: Ferry, bare, and the floor in
// each of its designs. One table, so a run named in FERRY_BENCH_AT_ONCE_RUNS is one that exists.
import type { FloorDesign, Kind } from './ipc';

export const AT_ONCE_RUN_TABLE = [
  { run: 'ferry', kind: 'ferry' },
  { run: 'bare', kind: 'bare' },
  { run: 'floor', kind: 'floor', floorDesign: 'lock-and-stage' },
  { run: 'floor-per-environment', kind: 'floor', floorDesign: 'one-per-environment' },
] as const satisfies readonly { run: string; kind: Kind; floorDesign?: FloorDesign }[];

export type AtOnceRun = (typeof AT_ONCE_RUN_TABLE)[number]['run'];
export const AT_ONCE_RUNS: readonly AtOnceRun[] = AT_ONCE_RUN_TABLE.map(({ run }) => run);
