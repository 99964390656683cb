// The orchestration bench's line on where a worker's memory sat at its peak: "the rest" is what
// neither thread's V8 heap accounts for, so the line must not count a heap twice or drop one.
import { describeMemory } from '../../bench/orchestration/memory-breakdown';

const MB = 2 ** 20;

test('the rest is the resident set less both heaps as reserved, not as in use', () => {
  const line = describeMemory({
    cachedWorkflows: 900,
    rssBytes: 600 * MB,
    mainUsedBytes: 50 * MB,
    mainTotalBytes: 103 * MB,
    mainExternalBytes: 9 * MB,
    threadUsedBytes: 95 * MB,
    threadTotalBytes: 170 * MB,
    threadMostAfterFullGcBytes: 83 * MB,
  });
  expect(line).toBe(
    'at the sampled peak RSS 600 MB, 900 workflows cached: main thread heap 50 MB in use of 103 MB (external 9 MB), workflow thread heap 95 MB in use of 170 MB (the most left after a full collection, any time: 83 MB), the rest 327 MB',
  );
});
