// The orchestration bench's allocation figure: V8 reports no total, so the counter adds up what each
// collection found in use beyond what the one before left. A count that dropped what was collected
// would read about what is live; one that counted survivors twice would read more than was made.
import { countAllocation } from '../../bench/orchestration/allocation-counter';

const MB = 2 ** 20;

/** Makes `count` arrays of 1 MB of doubles on the heap (a typed array's would be outside it), keeping none. */
function churn(count: number): number {
  let kept = 0;
  for (let i = 0; i < count; i++) kept += new Array<number>(MB / 8).fill(0.5).length;
  return kept;
}

test('what a thread allocated counts the garbage collected on the way, once', () => {
  const allocated = countAllocation();
  const before = allocated();
  churn(400);
  const made = allocated() - before;
  expect(made).toBeGreaterThanOrEqual(400 * MB);
  expect(made).toBeLessThan(480 * MB);
});

test('nothing made, nearly nothing counted', () => {
  const allocated = countAllocation();
  const before = allocated();
  const after = allocated();
  expect(after - before).toBeLessThan(MB);
});
