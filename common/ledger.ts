// An environment's ledger: what it runs, since when, by whose promotion and approval, and the
// releases before it. Kept by the environment's own entity workflow (workflows/environment-lock.ts),
// read by `ferry envs`, `ferry rollback` and the refs policy (`after`). Everything here travels
// between workflows and from the holder's own query, so it is parsed with bounded schemas.
// The schemas are lazy (lazy-schema.ts): every lock and promotion loads this module, and parses
// a record only when a holder is done.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { z } from 'zod';
import { lazySchema } from './lazy-schema';

/** How many releases an environment remembers, the live one included. */
export const RELEASES_KEPT = 20;

type Zod = typeof z;
const sha = (z: Zod) => z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-character commit SHA');
const at = (z: Zod) => z.string().min(1).max(40);
const short = (z: Zod, max: number) => z.string().max(max, `must be at most ${max} characters`);

/** A backup taken before a release's migrations: what a rollback by restore goes back to. */
export const ledgerBackupSchema = lazySchema((z) =>
  z.object({ file: short(z, 4_096), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/), runId: short(z, 100).optional() }).strict(),
);

/** One release that went live in an environment. */
export const ledgerReleaseSchema = lazySchema((z) =>
  z
    .object({
      sha: sha(z),
      /** What was asked for (branch, tag, SHA) when it was promoted. */
      ref: short(z, 300),
      artifact: short(z, 500),
      wentLiveAt: at(z),
      /** The workflow that made it live: a promotion, or a rollback. */
      by: short(z, 300),
      kind: z.enum(['promotion', 'rollback']),
      requestedBy: short(z, 200).optional(),
      /** Who approved this environment for it (none when the environment needs no approval, or an emergency rollback). */
      approvedBy: z.array(short(z, 200)).max(100),
      /** A rollback's reason, and whether it skipped approval and freeze windows. */
      reason: short(z, 2_000).optional(),
      emergency: z.boolean().optional(),
      /** Migrations applied in the environment's database once it was live (schema_migrations ids, oldest first). */
      migrations: z.array(short(z, 300)).max(10_000).optional(),
      /** How many older migrations the ledger left out of `migrations` to keep its size (see ledger-keeping.ts). */
      migrationsOmitted: z.number().int().positive().max(10_000).optional(),
      /** Taken just before this release's migrations, when the environment keeps backups. */
      backupBefore: ledgerBackupSchema.optional(),
    })
    .strict(),
);

/** A try that did not go live: the environment still runs the live release, unless the undo failed. */
export const ledgerAttemptSchema = lazySchema((z) =>
  z
    .object({
      sha: sha(z),
      artifact: short(z, 500),
      at: at(z),
      by: short(z, 300),
      kind: z.enum(['promotion', 'rollback']),
      /** 'failed': before anything changed (prepare, backup); 'undo-failed': undoing it failed too. */
      outcome: z.enum(['rolled-back', 'failed', 'aborted', 'undo-failed']),
      error: short(z, 2_000).optional(),
    })
    .strict(),
);

/** What a holder hands its environment's ledger when it is done: the release that went live, or the try that did not. */
export const releaseRecordSchema = lazySchema((z) =>
  z.discriminatedUnion('outcome', [
    z.object({ outcome: z.literal('live'), release: ledgerReleaseSchema }).strict(),
    z.object({ outcome: z.literal('not-live'), attempt: ledgerAttemptSchema }).strict(),
  ]),
);

/**
 * A holder that left the environment without recording what it did (an operator's unlock, a
 * promotion that was terminated or whose record failed, one from before the ledger): the
 * environment may run something other than `releases[0]` until the next release goes live.
 */
/** The longest `why` an unrecorded entry keeps: a longer one would make the whole ledger unreadable. */
export const UNRECORDED_WHY_MAX = 2_000;
export const ledgerUnrecordedSchema = lazySchema((z) => z.object({ by: short(z, 300), at: at(z), why: short(z, UNRECORDED_WHY_MAX) }).strict());

export type LedgerBackup = z.infer<typeof ledgerBackupSchema>;
export type LedgerRelease = z.infer<typeof ledgerReleaseSchema>;
export type LedgerAttempt = z.infer<typeof ledgerAttemptSchema>;
export type ReleaseRecord = z.infer<typeof releaseRecordSchema>;
export type LedgerUnrecorded = z.infer<typeof ledgerUnrecordedSchema>;

export interface EnvironmentLedger {
  lockId: string;
  app: string;
  environment: string;
  /** Newest first: `releases[0]` is live. At most RELEASES_KEPT. */
  releases: LedgerRelease[];
  /** The latest try that did not go live, when it is newer than the live release. */
  lastAttempt?: LedgerAttempt;
  /** The last holder left without a record, after the live release: what runs there is not known for sure. */
  unrecorded?: LedgerUnrecorded;
  /** Who holds the environment now, and who waits for it. */
  holder?: string;
  queue: string[];
}

const workflowIdText = (z: Zod) => short(z, 1_000);

/** A lock's answer to the ledger query, as those who ask it parse it: whatever runs on that task queue answered it. */
export const environmentLedgerSchema = lazySchema(
  (z) =>
    z.object({
      lockId: workflowIdText(z),
      app: short(z, 100),
      environment: short(z, 100),
      releases: z.array(ledgerReleaseSchema).max(RELEASES_KEPT),
      lastAttempt: ledgerAttemptSchema.optional(),
      unrecorded: ledgerUnrecordedSchema.optional(),
      holder: workflowIdText(z).optional(),
      queue: z.array(workflowIdText(z)).max(10_000),
    }) satisfies z.ZodType<EnvironmentLedger>,
);

/** `ferry envs` and the refs policy read it; nobody can change it through a query. */
export const ledgerQuery = defineQuery<EnvironmentLedger>('ledger');
/**
 * Sent by the holder (through an activity: workflows cannot send updates) once it is done with
 * the environment. The payload only names the sender; the record itself is read from the
 * holder's own `lockClaims` query, so a forged update from the Web UI records nothing.
 */
export const recordReleaseUpdate = defineUpdate<EnvironmentLedger, [unknown]>('recordRelease');
