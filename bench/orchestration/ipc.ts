// What the bench and its worker process say to each other over IPC, checked on both ends.
import { z } from 'zod';

/** Ferry; the bare workflow; the floor: bare plus, at their cheapest, what a promotion keeps (floor-workflow.ts). */
export const KINDS = ['ferry', 'bare', 'floor'] as const;
export type Kind = (typeof KINDS)[number];

/**
 * The floor's two designs: a lock and a stage workflow per environment (floor-workflow.ts), or one
 * workflow per environment that is both (floor-environment-workflow.ts). Only the many-at-once
 * figure runs the second.
 */
export type FloorDesign = 'lock-and-stage' | 'one-per-environment';

export const taskQueueOf = (kind: Kind) => `bench-${kind}`;

const id = z.number().int().nonnegative();

export const requestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stats'), id }),
  /** When backupDatabase first started, per promotion, for the ones asked about. */
  z.object({ type: z.literal('changes'), id, promotionIds: z.array(z.string().max(200)).max(20_000) }),
  z.object({ type: z.literal('stop'), id }),
]);
export type Request = z.infer<typeof requestSchema>;

const bytes = z.number().nonnegative();

/** The worker's memory when its resident set was highest of its samples (memory-breakdown.ts). */
export const memoryAtPeakSchema = z.object({
  cachedWorkflows: z.number().int().nonnegative(),
  rssBytes: bytes,
  /** The main thread's V8 heap: in use (garbage not yet collected included), and reserved (heapTotal). */
  mainUsedBytes: bytes,
  mainTotalBytes: bytes,
  /** Memory outside the main thread's heap that its objects hold (buffers, the core's handles). */
  mainExternalBytes: bytes,
  /** The workflow thread's V8 heap: in use, and reserved with what V8 malloced beside it. */
  threadUsedBytes: bytes,
  threadTotalBytes: bytes,
  /** The most the workflow thread's heap held right after a full collection, over the worker's life: close to what was live. */
  threadMostAfterFullGcBytes: bytes,
});
export type MemoryAtPeak = z.infer<typeof memoryAtPeakSchema>;

/**
 * What each thread's V8 heap allocated since the worker started, garbage included (allocation-counter.ts):
 * the more a workflow task allocates, the more room V8 keeps for the heap. The workflow thread's as of
 * its last sample, at most 250 ms old.
 */
export const heapAllocationSchema = z.object({ mainBytes: bytes, workflowThreadBytes: bytes });
export type HeapAllocation = z.infer<typeof heapAllocationSchema>;

export const statsSchema = z.object({
  /** process.cpuUsage(): user + system, every thread of the process (the SDK's core included). */
  cpuMicros: z.number().nonnegative(),
  rssBytes: z.number().nonnegative(),
  /** VmHWM: the process's peak resident set since it started. */
  peakRssBytes: z.number().nonnegative(),
  /** Ferry: how its locks answered askForLock so far (every 'queued' from a free lock is a request that waited its bound). */
  lockAnswers: z.object({ granted: z.number().int().nonnegative(), queued: z.number().int().nonnegative() }).optional(),
  /**
   * Ferry: how often its locks asked whether a holder still holds the lock (checkHolder), so far,
   * each a timed wait and an activity (local when only the server is asked); and how many of those
   * asked the holder itself (a query).
   */
  holderChecks: z.object({ all: z.number().int().nonnegative(), askedTheHolder: z.number().int().nonnegative() }).optional(),
  memoryAtPeak: memoryAtPeakSchema,
  allocated: heapAllocationSchema,
});
export type Stats = z.infer<typeof statsSchema>;

export const replySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), maxCachedWorkflows: z.number().int().nonnegative() }),
  z.object({ type: z.literal('failed'), error: z.string().max(10_000) }),
  z.object({ type: z.literal('stats'), id, stats: statsSchema }),
  z.object({ type: z.literal('changes'), id, at: z.record(z.string().max(200), z.number()) }),
  z.object({ type: z.literal('stopped'), id }),
]);
export type Reply = z.infer<typeof replySchema>;

/** What the parent hands the child at fork, as one JSON argument. */
export const childArgsSchema = z.object({
  kind: z.enum(KINDS),
  address: z.string().min(1).max(200),
  bundlePath: z.string().min(1).max(4096),
  /** The worker's workflow cache; absent: the SDK's default, which scales with the machine's memory. */
  maxCachedWorkflows: z.number().int().min(2).max(100_000).optional(),
  /** How the floor asks its locks (floor-workflow.ts, FloorLockActivities); by update unless told. */
  floorClaim: z.enum(['update', 'signal']).optional(),
});
export type ChildArgs = z.infer<typeof childArgsSchema>;
