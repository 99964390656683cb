// The orchestration bench's scale from FERRY_BENCH_*: a typo must stop the run before it starts,
// not quietly measure something else for half an hour.
import { scaleFromEnv } from '../../bench/orchestration/scale';

test('unset, every figure and every many-at-once run, at issue 13 numbers', () => {
  const scale = scaleFromEnv({});
  expect(scale.figures).toEqual(['one', 'at-once', 'waiting']);
  expect(scale.atOnceRuns).toEqual(['ferry', 'bare', 'floor', 'floor-per-environment']);
  expect(scale).toMatchObject({ concurrent: 300, waiting: 1_000 });
  expect(scale).not.toHaveProperty('atOnceCache');
});

test('runs are kept in the table order whatever order they are named in, and bare always runs', () => {
  expect(scaleFromEnv({ FERRY_BENCH_AT_ONCE_RUNS: 'floor, ferry' }).atOnceRuns).toEqual(['ferry', 'bare', 'floor']);
  expect(scaleFromEnv({ FERRY_BENCH_AT_ONCE_RUNS: 'floor-per-environment' }).atOnceRuns).toEqual(['bare', 'floor-per-environment']);
});

test('an unknown run or figure is refused, named with what is known', () => {
  expect(() => scaleFromEnv({ FERRY_BENCH_AT_ONCE_RUNS: 'ferry,flor' })).toThrow('bench scale: FERRY_BENCH_AT_ONCE_RUNS: no such runs: flor (known: ferry, bare, floor, floor-per-environment)');
  expect(() => scaleFromEnv({ FERRY_BENCH_FIGURES: 'one,wait' })).toThrow('bench scale: FERRY_BENCH_FIGURES: no such figures: wait (known: one, at-once, waiting)');
});

test('a blank choice is taken as unset, and empty names between commas are passed over', () => {
  expect(scaleFromEnv({ FERRY_BENCH_FIGURES: '' }).figures).toEqual(['one', 'at-once', 'waiting']);
  expect(scaleFromEnv({ FERRY_BENCH_AT_ONCE_RUNS: ' ' }).atOnceRuns).toEqual(['ferry', 'bare', 'floor', 'floor-per-environment']);
  expect(scaleFromEnv({ FERRY_BENCH_FIGURES: 'one,,waiting,' }).figures).toEqual(['one', 'waiting']);
});

test('a choice of commas alone is refused', () => {
  expect(() => scaleFromEnv({ FERRY_BENCH_FIGURES: ' , ' })).toThrow('bench scale: FERRY_BENCH_FIGURES: names no figures (known: one, at-once, waiting)');
});

test('a cache is a whole number from 2 up', () => {
  expect(scaleFromEnv({ FERRY_BENCH_AT_ONCE_CACHE: '2' }).atOnceCache).toBe(2);
  expect(() => scaleFromEnv({ FERRY_BENCH_AT_ONCE_CACHE: '1' })).toThrow(/FERRY_BENCH_AT_ONCE_CACHE/);
  expect(() => scaleFromEnv({ FERRY_BENCH_AT_ONCE_CACHE: '9.5' })).toThrow(/FERRY_BENCH_AT_ONCE_CACHE/);
});
