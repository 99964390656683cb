// What every figure producer gets, and the hook other figures plug into: a producer returns rows
// of the one table (see producers.ts).
import type { Client } from '@temporalio/client';
import type { ChildArgs, Kind } from './ipc';
import type { Scale } from './scale';
import type { FigureRow } from './table';
import { WorkerChild } from './worker-child';

export interface BenchContext {
  client: Client;
  /** The dev server's address, for workers a producer starts itself. */
  address: string;
  /** The worker process to fork, compiled (compiled-worker.ts). */
  workerEntry: string;
  /** Prebuilt workflow bundles (code files), one per kind. */
  bundles: Record<Kind, string>;
  scale: Scale;
  /** Unique per run, so app names and workflow IDs never meet an earlier run's. */
  runTag: string;
  /** A line of progress on stderr (the table alone goes to stdout). */
  say(line: string): void;
}

export type FigureProducer = (ctx: BenchContext) => Promise<FigureRow[]>;

export type WorkerOptions = Pick<ChildArgs, 'maxCachedWorkflows' | 'floorClaim'>;

export function startWorker(ctx: BenchContext, kind: Kind, options: WorkerOptions = {}): Promise<WorkerChild> {
  return WorkerChild.start(ctx.workerEntry, { kind, address: ctx.address, bundlePath: ctx.bundles[kind], ...options });
}

/** A fresh worker of `kind` for `fn`, stopped afterwards whatever happens. */
export async function withWorker<T>(ctx: BenchContext, kind: Kind, fn: (worker: WorkerChild) => Promise<T>, options: WorkerOptions = {}): Promise<T> {
  const worker = await startWorker(ctx, kind, options);
  try {
    return await fn(worker);
  } finally {
    await worker.stop();
  }
}
