// How much a thread's V8 heap has allocated: V8 keeps no such total, but each collection says what
// was in use before and after it. What was allocated is what each collection found in use beyond
// what the one before it left, plus the growth since the last.
import v8 from 'node:v8';

/** Starts counting in the calling thread; what it returns reads the bytes allocated since. */
export function countAllocation(): () => number {
  let profiler = new v8.GCProfiler();
  profiler.start();
  let allocated = 0;
  let leftByLast = v8.getHeapStatistics().used_heap_size;
  return () => {
    const { statistics } = profiler.stop();
    profiler = new v8.GCProfiler();
    profiler.start();
    for (const gc of statistics) {
      allocated += gc.beforeGC.heapStatistics.usedHeapSize - leftByLast;
      leftByLast = gc.afterGC.heapStatistics.usedHeapSize;
    }
    return allocated + v8.getHeapStatistics().used_heap_size - leftByLast;
  };
}
