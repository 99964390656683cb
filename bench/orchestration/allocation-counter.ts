// How much a thread's V8 heap has allocated: V8 keeps no such total, but each collection says what
// was in use before and after it. What was allocated is what each collection found in use beyond
// what the one before it left, plus the growth since the last.
import v8 from 'node:v8';

const used = () => v8.getHeapStatistics().used_heap_size;

/**
 * Starts counting in the calling thread; what it returns reads the bytes allocated since. Each
 * reading restarts V8's GC profiler (its list of collections would otherwise grow for the thread's
 * life): a collection between the old one's stop and the new one's start goes unrecorded, so
 * counting resumes from what is in use after the restart, and what the restart itself allocated
 * may be missed. A reading never goes down.
 */
export function countAllocation(): () => number {
  let profiler = new v8.GCProfiler();
  profiler.start();
  let allocated = 0;
  let leftByLast = used();
  return () => {
    for (const gc of profiler.stop().statistics) {
      allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - leftByLast);
      leftByLast = gc.afterGC.heapStatistics.usedHeapSize;
    }
    allocated += Math.max(0, used() - leftByLast);
    profiler = new v8.GCProfiler();
    profiler.start();
    leftByLast = used();
    return allocated;
  };
}
