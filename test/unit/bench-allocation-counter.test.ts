// The orchestration bench's allocation figure: V8 reports no total, so the counter adds up what each
// collection found in use beyond what the one before left. A count of only what was collected would
// miss what is kept; one that dropped what was collected would read about what is live; one that
// counted survivors twice would read more than was made.
import { countAllocation } from '../../bench/orchestration/allocation-counter';

const MB = 2 ** 20;

/** An array of 1 MB of doubles on the heap (a typed array's bytes would be outside it). */
const megabyte = () => new Array<number>(MB / 8).fill(0.5);

test('what a thread allocated counts the garbage collected on the way, once', () => {
  const allocated = countAllocation();
  const before = allocated();
  for (let i = 0; i < 400; i++) megabyte();
  const made = allocated() - before;
  expect(made).toBeGreaterThanOrEqual(400 * MB);
  expect(made).toBeLessThan(480 * MB);
});

test('what is kept counts as much as what is collected', () => {
  const allocated = countAllocation();
  const before = allocated();
  const kept: number[][] = [];
  for (let i = 0; i < 400; i++) {
    const array = megabyte();
    if (i % 2 === 0) kept.push(array);
  }
  const made = allocated() - before;
  expect(kept).toHaveLength(200);
  expect(made).toBeGreaterThanOrEqual(400 * MB);
  expect(made).toBeLessThan(480 * MB);
});

test('readings taken all along add up to what was made, and never go down', () => {
  const allocated = countAllocation();
  const readings = [allocated()];
  for (let i = 0; i < 400; i++) {
    megabyte();
    if (i % 10 === 0) readings.push(allocated());
  }
  readings.push(allocated());
  expect(readings.every((reading, i) => i === 0 || reading >= readings[i - 1])).toBe(true);
  expect(readings.at(-1)! - readings[0]).toBeGreaterThanOrEqual(400 * MB);
  expect(readings.at(-1)! - readings[0]).toBeLessThan(480 * MB);
});

test('nothing made, nearly nothing counted', () => {
  const allocated = countAllocation();
  const before = allocated();
  expect(allocated() - before).toBeLessThan(MB);
});
