// What a promotion or a rollback writes in an environment's ledger once its stage there is done:
// the release that went live, or the try that did not. Checked against the ledger's own schema
// here, so a record the lock would refuse is caught, naming the field, before it is sent.
import { releaseRecordSchema, type LedgerAttempt, type ReleaseRecord } from './ledger';
import type { PromotionPlan } from './plan';
import { describeIssues } from './problems';
import type { RollbackPlan } from './rollback-plan';
import type { EnvironmentStatus } from './status';

const ERROR_CHARS = 2_000;
const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Steps that undo a try: when one failed, the environment may run neither release cleanly. */
const UNDO_STEPS: ReadonlySet<string> = new Set(['rollback', 'undo-migration']);

/**
 * How a try that did not go live ended. A stage that failed with nothing to undo (prepare, backup)
 * changed nothing; one whose undo failed is the one to check by hand.
 */
export function notLiveOutcome(envStatus: EnvironmentStatus): LedgerAttempt['outcome'] {
  if (envStatus.steps.some((s) => UNDO_STEPS.has(s.name) && s.state === 'failed')) return 'undo-failed';
  if (envStatus.state === 'rolled-back' || envStatus.state === 'aborted') return envStatus.state;
  return 'failed';
}

/** The release a record names, who made it so, and what only some records say. */
interface Subject {
  release: { sha: string; ref: string; artifact: string };
  by: string;
  kind: LedgerAttempt['kind'];
  requestedBy?: string;
  /** A rollback's: why, and whether it skipped approval and freeze windows. */
  reason?: string;
  emergency?: boolean;
}

function releaseRecord(subject: Subject, envStatus: EnvironmentStatus, now: string): ReleaseRecord {
  const { release, by, kind } = subject;
  const record: ReleaseRecord =
    envStatus.state === 'succeeded'
      ? {
          outcome: 'live',
          release: {
            sha: release.sha,
            ref: cut(release.ref, 300),
            artifact: release.artifact,
            wentLiveAt: now,
            by,
            kind,
            ...(subject.requestedBy ? { requestedBy: cut(subject.requestedBy, 200) } : {}),
            approvedBy: (envStatus.approval?.received ?? []).filter((r) => r.decision === 'approve').map((r) => r.approver),
            ...(subject.reason === undefined ? {} : { reason: subject.reason }),
            ...(subject.emergency === undefined ? {} : { emergency: subject.emergency }),
            ...(envStatus.database?.migrations ? { migrations: envStatus.database.migrations } : {}),
            ...(envStatus.database?.backupBefore ? { backupBefore: envStatus.database.backupBefore } : {}),
          },
        }
      : {
          outcome: 'not-live',
          attempt: {
            sha: release.sha,
            artifact: release.artifact,
            at: now,
            by,
            kind,
            outcome: notLiveOutcome(envStatus),
            ...(envStatus.error ? { error: cut(envStatus.error, ERROR_CHARS) } : {}),
          },
        };
  const parsed = releaseRecordSchema.safeParse(record);
  if (!parsed.success) throw new Error(`the ledger record of ${by} for ${envStatus.name} is malformed: ${describeIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

/** A promotion's record: the release with who asked for it, who approved it, and the database it left. */
export function promotionRecord(plan: PromotionPlan, promotionId: string, envStatus: EnvironmentStatus, now: string): ReleaseRecord {
  const subject: Subject = { release: plan, by: promotionId, kind: 'promotion', ...(plan.requestedBy ? { requestedBy: plan.requestedBy } : {}) };
  return releaseRecord(subject, envStatus, now);
}

/** A rollback's record: the earlier release live again, with who asked, why, and whether it was an emergency. */
export function rollbackRecord(plan: Pick<RollbackPlan, 'target' | 'requestedBy' | 'reason' | 'emergency'>, rollbackId: string, envStatus: EnvironmentStatus, now: string): ReleaseRecord {
  const subject: Subject = { release: plan.target, by: rollbackId, kind: 'rollback', requestedBy: plan.requestedBy, reason: plan.reason, emergency: plan.emergency };
  return releaseRecord(subject, envStatus, now);
}
