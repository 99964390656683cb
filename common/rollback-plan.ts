// A rollback's input and the rules for choosing what it goes back to. The CLI picks the release
// from the environment's ledger and checks the request here; the workflow checks the ledger again
// under the environment's lock, with the same rules, since the ledger may have moved in between.
import type { z } from 'zod';
import { lazySchema } from './lazy-schema';
import type { EnvironmentLedger, LedgerRelease } from './ledger';
import { shortSha, type EnvironmentPlan, type RecordRefPlan } from './plan';

/** The release a rollback makes live again, as its environment's ledger recorded it. */
export const rollbackTargetSchema = lazySchema((z) =>
  z
    .object({
      sha: z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-character commit SHA'),
      ref: z.string().min(1).max(300, 'must be at most 300 characters'),
      artifact: z.string().min(1).max(500, 'must be at most 500 characters'),
    })
    .strict(),
);

/** What a person asks for: everything of a rollback's input that is not the config's. */
export const rollbackRequestSchema = lazySchema((z) =>
  z
    .object({
      target: rollbackTargetSchema,
      /** The live release the requester saw: under the lock, a rollback is refused when another has gone live since. */
      replacing: z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-character commit SHA'),
      requestedBy: z.string().trim().min(1, 'must name a person').max(200, 'must be at most 200 characters'),
      reason: z.string().trim().min(1, 'must say why').max(2_000, 'must be at most 2000 characters'),
      /** Skips the environment's approval and freeze windows; recorded in the status and the ledger. */
      emergency: z.boolean(),
    })
    .strict(),
);

export type RollbackTarget = z.infer<typeof rollbackTargetSchema>;
export type RollbackRequest = z.infer<typeof rollbackRequestSchema>;

/** The whole input of a rollback workflow: the request, and the environment as the config has it (no secrets). */
export interface RollbackPlan extends Omit<RollbackRequest, 'replacing'> {
  /** Required of every new rollback (the workflow refuses one without it); absent only in histories recorded before it was asked for. */
  replacing?: string;
  app: string;
  repo: string;
  /** The worker variable holding the repo's credentials: a name, read by activities only. */
  repoCredentialsEnv?: string;
  taskQueue: string;
  environment: EnvironmentPlan;
  /** Git records what runs where: the environment's ref follows the rollback (absent when the app has none). */
  recordRef?: RecordRefPlan;
}

/**
 * One rollback per (app, environment, release) at a time; a closed one may be followed by another.
 * Slashes, which names cannot hold, keep it apart from a promotion's `ferry-<app>-<sha7>` (an app
 * may be named `shop-rollback-production`), as the locks' `ferry-lock/<app>/<env>` are.
 */
export const rollbackWorkflowId = (app: string, environment: string, sha: string) => `ferry-rollback/${app}/${environment}/${sha.slice(0, 12)}`;

/** The ID rollbacks had before their input named the release they replace (`replacing`): for replaying their histories. */
export const legacyRollbackWorkflowId = (app: string, environment: string, sha: string) => `ferry-${app}-rollback-${environment}-${shortSha(sha)}`;

/** A commit as `--to` may give it: at least 7 hex digits of its SHA. */
export const commitPrefixSchema = lazySchema((z) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[0-9a-f]{7,40}$/, 'must be a commit SHA or a prefix of at least 7 hex digits of one'),
);

export type RollbackChoice = { release: LedgerRelease; replacedBy: LedgerRelease } | { refusal: string };

/**
 * Which release of the ledger to go back to: the one before the live release, or the one whose
 * SHA starts with `to`. Refused, saying why, when there is none to go back to, `to` is the live
 * release, names two releases, or is not in the ledger (which only knows its last releases).
 * `replacedBy` is the release that came after it: its backupBefore holds the database as it was.
 */
export function chooseRollbackTarget(ledger: EnvironmentLedger | undefined, where: string, to?: string): RollbackChoice {
  const releases = ledger?.releases ?? [];
  if (releases.length === 0) return { refusal: `${where} has no release in its ledger: nothing to roll back from` };
  const live = releases[0];
  if (to === undefined) {
    if (releases.length < 2) return { refusal: `${where} has had only one release (${shortSha(live.sha)}, ${live.artifact}): nothing to roll back to` };
    return { release: releases[1], replacedBy: releases[0] };
  }
  const suggestion = `to promote it anyway: ferry start --ref ${to} --force`;
  if (live.sha.startsWith(to)) return { refusal: `${to} is the live release of ${where} (${live.artifact}): nothing to roll back` };
  const matches = releases.map((release, index) => ({ release, index })).filter(({ release, index }) => index > 0 && release.sha.startsWith(to));
  const shas = [...new Set(matches.map((m) => m.release.sha))];
  if (shas.length > 1) return { refusal: `${to} names more than one release of ${where} (${shas.map((s) => s.slice(0, 12)).join(', ')}): give more of the SHA` };
  if (shas.length === 0) {
    return { refusal: `${to} is not one of the last ${releases.length} releases of ${where} in its ledger; ${suggestion}` };
  }
  const { release, index } = matches[0];
  return { release, replacedBy: releases[index - 1] };
}

/** By restore, the release that replaced the target must have recorded the backup taken before it migrated. Undefined when it did, or the environment does not restore. */
export function refuseRestoreWithoutBackup(environment: Pick<EnvironmentPlan, 'name' | 'database'>, replacedBy: LedgerRelease): string | undefined {
  if (environment.database?.undo !== 'restore' || replacedBy.backupBefore) return undefined;
  return `${environment.name}'s database is rolled back by restore, but no backup was taken before ${shortSha(replacedBy.sha)} (${replacedBy.artifact}) migrated`;
}

/**
 * Under the lock, on top of the choice: the ledger's live release must be the one the requester
 * saw, and the target the ledger's own entry for its SHA (an input started by hand could
 * otherwise deploy any artifact under a SHA that once ran there). Undefined when both hold.
 */
export function refuseStaleRequest(plan: Pick<RollbackPlan, 'replacing' | 'target'>, live: LedgerRelease, chosen: LedgerRelease): string | undefined {
  if (plan.replacing === undefined) return `the request names no live release it replaces (replacing); start it with ferry rollback`;
  if (live.sha !== plan.replacing) {
    return `${shortSha(live.sha)} (${live.artifact}) went live after the rollback was asked for (it replaced ${shortSha(plan.replacing)}); ask again if it should still go back`;
  }
  if (chosen.artifact !== plan.target.artifact || chosen.ref !== plan.target.ref) {
    return `the ledger has ${shortSha(chosen.sha)} as ${chosen.artifact} (ref ${chosen.ref}), not ${plan.target.artifact} (ref ${plan.target.ref}) as the request says`;
  }
  return undefined;
}

/**
 * A ledger whose last holder was passed over without a record may not name what runs: going back
 * "from" a live release that may not be running is refused, unless the person says it is an
 * emergency (and has looked at the environment).
 */
export function refuseUnsureLedger(ledger: EnvironmentLedger | undefined, where: string, emergency: boolean): string | undefined {
  const unsure = ledger?.unrecorded;
  if (!unsure || emergency) return undefined;
  return (
    `${where}'s ledger is not sure what runs: ${unsure.by} left it at ${unsure.at} without a record (${unsure.why}); ` +
    'check the environment, then roll back with --emergency, or promote a release there to set the ledger straight'
  );
}
