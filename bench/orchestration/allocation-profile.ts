// FERRY_BENCH_ALLOC_PROF_DIR: V8's sampling heap profile of a worker's thread, counting what was
// collected as well as what is live, to see which code allocates (Chrome DevTools' Memory tab
// opens it). The counter (allocation-counter.ts) says how much; this says where.
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import workerThreads from 'node:worker_threads';

const WRITE_EVERY_MS = 10_000;

/**
 * Samples what the calling thread allocates from now on and writes the profile so far to `dir`
 * every ten seconds: the thread may be ended without notice (the SDK's workflow thread is).
 */
export function profileAllocation(dir: string, label: string): void {
  const session = new inspector.Session();
  session.connect();
  session.post('HeapProfiler.startSampling', { includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  const file = path.join(dir, `${label}-${process.pid}-thread${workerThreads.threadId}.heapprofile`);
  const write = () =>
    session.post('HeapProfiler.getSamplingProfile', (error, result) => {
      if (error) return console.error(`allocation profile ${file} not taken: ${error.message}`);
      try {
        fs.writeFileSync(file, JSON.stringify(result.profile));
      } catch (writeError) {
        console.error(`allocation profile ${file} not written: ${String(writeError)}`);
      }
    });
  setInterval(write, WRITE_EVERY_MS).unref();
}
