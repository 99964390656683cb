// Where a worker's memory sits at its peak: the main thread's heap (the SDK's worker loop, the
// activities, the lock's client), the workflow thread's heap (every cached workflow), and the rest
// of the resident set (the SDK's core, code, allocator slack). Sampled, since VmHWM says only how
// high the whole went.
import v8 from 'node:v8';
import workerThreads from 'node:worker_threads';
import type { MemoryAtPeak } from './ipc';

const CHANNEL = 'ferry-bench-workflow-thread-heap';
const SAMPLE_MS = 250;

/**
 * Makes every workflow thread the SDK starts from now on report its heap: the SDK's thread runs as
 * it would, after a line that posts v8.getHeapStatistics() on a broadcast channel its own messages
 * never pass through. Call before Worker.create.
 */
function reportWorkflowThreadHeaps(): void {
  const SdkWorker = workerThreads.Worker;
  const threadFile = require.resolve('@temporalio/worker/lib/workflow/workflow-worker-thread');
  class ReportingWorker extends SdkWorker {
    constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
      if (filename !== threadFile) {
        super(filename, options);
        return;
      }
      const code = [
        `const { BroadcastChannel } = require('node:worker_threads');`,
        `const v8 = require('node:v8');`,
        `const channel = new BroadcastChannel(${JSON.stringify(CHANNEL)});`,
        `channel.unref();`,
        `setInterval(() => channel.postMessage(v8.getHeapStatistics()), ${SAMPLE_MS}).unref();`,
        `require(${JSON.stringify(threadFile)});`,
      ].join('\n');
      super(code, { ...options, eval: true });
    }
  }
  workerThreads.Worker = ReportingWorker;
}

/** Starts sampling; what it returns reads the sample taken when the resident set was highest. */
export function sampleMemory(): () => MemoryAtPeak {
  reportWorkflowThreadHeaps();
  let thread = { usedBytes: 0, totalBytes: 0 };
  const channel = new workerThreads.BroadcastChannel(CHANNEL);
  channel.unref();
  channel.onmessage = (event) => {
    const heap = (event as unknown as { data: v8.HeapInfo }).data;
    thread = { usedBytes: heap.used_heap_size, totalBytes: heap.total_heap_size + heap.malloced_memory };
  };
  let peak: MemoryAtPeak = { rssBytes: 0, mainUsedBytes: 0, mainTotalBytes: 0, mainExternalBytes: 0, threadUsedBytes: 0, threadTotalBytes: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss <= peak.rssBytes) return;
    peak = { rssBytes: m.rss, mainUsedBytes: m.heapUsed, mainTotalBytes: m.heapTotal, mainExternalBytes: m.external, threadUsedBytes: thread.usedBytes, threadTotalBytes: thread.totalBytes };
  };
  setInterval(sample, SAMPLE_MS).unref();
  return () => {
    sample();
    return peak;
  };
}

/** One line for the bench's log. */
export function describeMemory(m: MemoryAtPeak): string {
  const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;
  const rest = m.rssBytes - m.mainTotalBytes - m.threadTotalBytes;
  return `at the sampled peak RSS ${mb(m.rssBytes)}: main thread heap ${mb(m.mainUsedBytes)} live of ${mb(m.mainTotalBytes)} (external ${mb(m.mainExternalBytes)}), workflow thread heap ${mb(m.threadUsedBytes)} live of ${mb(m.threadTotalBytes)}, the rest ${mb(rest)}`;
}
