// Where a worker's memory sits at its peak: the main thread's heap (the SDK's worker loop, the
// activities, the lock's client), the workflow thread's heap (every cached workflow), and the rest
// of the resident set (the SDK's core, code, allocator slack). Sampled, since VmHWM says only how
// high the whole went.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import workerThreads from 'node:worker_threads';
import { countAllocation } from './allocation-counter';
import { profileAllocation } from './allocation-profile';
import type { HeapAllocation, MemoryAtPeak } from './ipc';

const CHANNEL = 'ferry-bench-workflow-thread-heap';
const SAMPLE_MS = 250;
const workflowThreads: workerThreads.Worker[] = [];

/**
 * Makes every workflow thread the SDK starts from now on report its heap: the SDK's thread runs as
 * it would, after a line that posts v8.getHeapStatistics() on a broadcast channel its own messages
 * never pass through, and what it allocated; with `profileDir`, it also profiles its allocation
 * there (allocation-profile.ts). Call before Worker.create.
 */
function reportWorkflowThreadHeaps(profileDir: string | undefined): void {
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
        `const allocated = require(${JSON.stringify(require.resolve('./allocation-counter'))}).countAllocation();`,
        `setInterval(() => channel.postMessage({ heap: v8.getHeapStatistics(), allocated: allocated() }), ${SAMPLE_MS}).unref();`,
        // Right after a full collection the heap holds little garbage: close to what is live.
        `const { PerformanceObserver, constants } = require('node:perf_hooks');`,
        `new PerformanceObserver((list) => { if (list.getEntries().some((e) => e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) channel.postMessage({ afterFullGc: v8.getHeapStatistics().used_heap_size }); }).observe({ entryTypes: ['gc'] });`,
        ...(profileDir ? [`require(${JSON.stringify(require.resolve('./allocation-profile'))}).profileAllocation(${JSON.stringify(profileDir)}, 'workflow');`] : []),
        `require(${JSON.stringify(threadFile)});`,
      ].join('\n');
      super(code, { ...options, eval: true });
      workflowThreads.push(this);
    }
  }
  workerThreads.Worker = ReportingWorker;
}

/** Writes a heap snapshot of each workflow thread to `dir`, named with `label`. */
export async function snapshotWorkflowThreads(dir: string, label: string): Promise<void> {
  for (const [i, thread] of workflowThreads.entries()) {
    await pipeline(await thread.getHeapSnapshot(), fs.createWriteStream(`${dir}/${label}-thread${i}.heapsnapshot`));
  }
}

/**
 * Starts sampling. `atPeak` reads the sample taken when the resident set was highest;
 * `allocated` what the main thread's heap and the workflow thread's heap allocated since (the
 * workflow thread's as of its last sample; the SDK runs one, reusing its V8 context). `cachedWorkflows` reads how many workflows the
 * worker holds, once it exists.
 */
export function sampleMemory(cachedWorkflows: () => number): { atPeak: () => MemoryAtPeak; allocated: () => HeapAllocation } {
  const profileDir = process.env.FERRY_BENCH_ALLOC_PROF_DIR || undefined;
  reportWorkflowThreadHeaps(profileDir);
  if (profileDir) profileAllocation(profileDir, 'main');
  const mainAllocated = countAllocation();
  let thread = { usedBytes: 0, totalBytes: 0 };
  let threadMostAfterFullGc = 0;
  let threadAllocated = 0;
  const channel = new workerThreads.BroadcastChannel(CHANNEL);
  channel.unref();
  channel.onmessage = (event) => {
    const message = (event as unknown as { data: { heap: v8.HeapInfo; allocated: number } | { afterFullGc: number } }).data;
    if ('afterFullGc' in message) threadMostAfterFullGc = Math.max(threadMostAfterFullGc, message.afterFullGc);
    else {
      thread = { usedBytes: message.heap.used_heap_size, totalBytes: message.heap.total_heap_size + message.heap.malloced_memory };
      threadAllocated = message.allocated;
    }
  };
  let peak: Omit<MemoryAtPeak, 'threadMostAfterFullGcBytes'> = { cachedWorkflows: 0, rssBytes: 0, mainUsedBytes: 0, mainTotalBytes: 0, mainExternalBytes: 0, threadUsedBytes: 0, threadTotalBytes: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss <= peak.rssBytes) return;
    peak = {
      cachedWorkflows: cachedWorkflows(),
      rssBytes: m.rss,
      mainUsedBytes: m.heapUsed,
      mainTotalBytes: m.heapTotal,
      mainExternalBytes: m.external,
      threadUsedBytes: thread.usedBytes,
      threadTotalBytes: thread.totalBytes,
    };
  };
  setInterval(sample, SAMPLE_MS).unref();
  return {
    atPeak: () => {
      sample();
      return { ...peak, threadMostAfterFullGcBytes: threadMostAfterFullGc };
    },
    allocated: () => ({ mainBytes: mainAllocated(), workflowThreadBytes: threadAllocated }),
  };
}

/** One line for the bench's log. */
export function describeMemory(m: MemoryAtPeak): string {
  const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;
  const rest = m.rssBytes - m.mainTotalBytes - m.threadTotalBytes;
  return `at the sampled peak RSS ${mb(m.rssBytes)}, ${m.cachedWorkflows} workflows cached: main thread heap ${mb(m.mainUsedBytes)} in use of ${mb(m.mainTotalBytes)} (external ${mb(m.mainExternalBytes)}), workflow thread heap ${mb(m.threadUsedBytes)} in use of ${mb(m.threadTotalBytes)} (the most left after a full collection, any time: ${mb(m.threadMostAfterFullGcBytes)}), the rest ${mb(rest)}`;
}
