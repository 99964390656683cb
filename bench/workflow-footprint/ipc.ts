// What the footprint bench and its worker process say to each other over IPC, checked on both ends.
import { z } from 'zod';

export const requestSchema = z.discriminatedUnion('type', [
  /** Reply once the worker caches at least `cached` workflows and has no activation in flight. */
  z.object({ type: z.literal('settle'), cached: z.number().int().nonnegative().max(100_000) }),
  z.object({ type: z.literal('stop') }),
]);
export type Request = z.infer<typeof requestSchema>;

export const statsSchema = z.object({
  /** process.cpuUsage(): user + system, every thread of the process (the SDK's core and the workflow thread included). */
  cpuMicros: z.number().nonnegative(),
  /** Resident set after a full GC of the main thread: the workflow thread's isolate is in it too. */
  rssBytes: z.number().nonnegative(),
  cachedWorkflows: z.number().int().nonnegative(),
});
export type Stats = z.infer<typeof statsSchema>;

export const replySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), stats: statsSchema }),
  z.object({ type: z.literal('settled'), stats: statsSchema }),
  z.object({ type: z.literal('stopped') }),
  z.object({ type: z.literal('failed'), error: z.string().max(10_000) }),
]);
export type Reply = z.infer<typeof replySchema>;

export const childArgsSchema = z.object({
  address: z.string().min(1).max(300),
  taskQueue: z.string().min(1).max(200),
  bundlePath: z.string().min(1).max(4_096),
  /** Ferry's bundle carries Ferry's payload converter; the worker must decode with the same one. */
  ferryConverter: z.boolean(),
});
export type ChildArgs = z.infer<typeof childArgsSchema>;
