// The Temporal contract of a promotion: what the Web UI, the CLI and the tests send and read.
// Anyone who can open the Web UI can send any of these names with any bytes, so every payload
// is declared `unknown` and parsed here with bounded schemas before anything acts on it.
// The schemas are lazy (lazy-schema.ts): every workflow loads this module, few receive a message.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { z } from 'zod';
import type { ReleaseRecord } from './ledger';
import { lazySchema } from './lazy-schema';
import type { EnvironmentStatus, IgnoredMessage, PromotionStatus } from './status';

type Zod = typeof z;
const who = (z: Zod) => z.string().trim().min(1, 'must name a person').max(200, 'must be at most 200 characters');
const why = (z: Zod) => z.string().trim().min(1, 'must say why').max(2000, 'must be at most 2000 characters');
const environment = (z: Zod) => z.string().min(1, 'must name an environment').max(100, 'must be at most 100 characters');
/** Workflow IDs: a promotion's, or a lock's `ferry-lock/<app>/<env>`. */
const workflowId = (z: Zod) => z.string().min(1, 'must name a workflow').max(300, 'must be at most 300 characters');

export const approvePayloadSchema = lazySchema((z) =>
  z.object({ environment: environment(z), approver: who(z), comment: z.string().max(2000, 'must be at most 2000 characters').optional() }).strict(),
);
export const rejectPayloadSchema = lazySchema((z) => z.object({ environment: environment(z), approver: who(z), reason: why(z) }).strict());
export const abortPayloadSchema = lazySchema((z) => z.object({ by: who(z), reason: why(z) }).strict());
export const decidePayloadSchema = lazySchema((z) =>
  z.discriminatedUnion('decision', [approvePayloadSchema.extend({ decision: z.literal('approve') }), rejectPayloadSchema.extend({ decision: z.literal('reject') })]),
);

export type ApprovePayload = z.infer<typeof approvePayloadSchema>;
export type RejectPayload = z.infer<typeof rejectPayloadSchema>;
export type AbortPayload = z.infer<typeof abortPayloadSchema>;
export type DecisionPayload = z.infer<typeof decidePayloadSchema>;

export const approveSignal = defineSignal<[unknown]>('approve');
export const rejectSignal = defineSignal<[unknown]>('reject');
export const abortSignal = defineSignal<[unknown]>('abort');
/** The CLI's way to approve or reject: the validator answers at once whether it counts. */
export const decideUpdate = defineUpdate<EnvironmentStatus['approval'], [unknown]>('decide');
export const statusQuery = defineQuery<PromotionStatus>('status');

// Between Ferry's own workflows. The Web UI lists these too, so none of them is trusted by its
// name: each only prompts the receiver to check the real state (see workflows/environment-lock.ts).
const runId = (z: Zod) => z.string().min(1, 'must name a run').max(100, 'must be at most 100 characters');
export const lockRequestSchema = lazySchema((z) => z.object({ requester: workflowId(z), runId: runId(z) }).strict());
export const lockGrantSchema = lazySchema((z) => z.object({ lock: workflowId(z) }).strict());
export type LockRequest = z.infer<typeof lockRequestSchema>;

export const stageStatusQuery = defineQuery<EnvironmentStatus>('status');
export const lockAcquireSignal = defineSignal<[unknown]>('acquire');
export const lockReleaseSignal = defineSignal<[unknown]>('release');
export const lockGrantedSignal = defineSignal<[unknown]>('lockGranted');
/**
 * Asking for a lock and hearing at once whether it is yours: 'granted' (the lock was free, or
 * already yours) or 'queued' (a `lockGranted` signal follows, checked as before). Only the caller
 * hears the answer, so a request sent in another run's name does not tell that run it holds the
 * lock; the lock asks a holder it took on such a word as soon as anyone waits behind it.
 */
export const lockRequestUpdate = defineUpdate<LockAnswer, [unknown]>('request');
export type LockAnswer = 'granted' | 'queued';
/** A promotion's own answer to "which locks do you want or hold?": a query, so nobody can forge it. */
export const lockClaimsQuery = defineQuery<LockClaims>('lockClaims');

export interface LockClaims {
  /** Locks this workflow has asked for and not yet got or given up. */
  wanted: string[];
  /** Locks this workflow holds, as confirmed by the lock itself. */
  held: string[];
  /** What this workflow did with each environment it held, for its ledger (absent from older Ferry). */
  records?: { lock: string; record: ReleaseRecord }[];
  /** Locks this workflow gives up as soon as its record there is written (absent from older Ferry). */
  leaving?: string[];
}

/** An environment lock's state, as `ferry unlock` and the Web UI see it. */
export interface LockState {
  lockId: string;
  /** The holder's workflow ID, and its run: a retried promotion is another run of the same ID. */
  holder?: string;
  holderRunId?: string;
  /** When the holder was given the lock. */
  since?: string;
  queue: string[];
  /** How the lock last passed on without a release by its holder: the holder closed, or an operator unlocked. */
  passedOn: { at: string; holder: string; why: string }[];
  ignored: IgnoredMessage[];
  ignoredCount: number;
}

export const lockStateQuery = defineQuery<LockState>('lockState');

/** `ferry unlock`: an operator takes the lock from a holder that cannot give it back (recorded). */
export const unlockPayloadSchema = lazySchema((z) => z.object({ by: who(z), reason: why(z), holder: workflowId(z) }).strict());
export type UnlockPayload = z.infer<typeof unlockPayloadSchema>;
export const unlockUpdate = defineUpdate<LockState, [unknown]>('unlock');
