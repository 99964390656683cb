// What a rollback writes in its environment's ledger once its stage there is done.
import { releaseRecordSchema, type ReleaseRecord } from './ledger';
import { describeIssues } from './problems';
import type { RollbackPlan } from './rollback-plan';
import type { EnvironmentStatus } from './status';

const ERROR_CHARS = 2_000;
const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const NOT_LIVE = { 'rolled-back': 'rolled-back', failed: 'failed', aborted: 'aborted' } as const;

/**
 * The record of `envStatus` after the rollback's stage ran: the earlier release live again (with
 * who asked, why, whether it was an emergency, who approved it, and the database it left), or the
 * try that did not go live. Throws, naming the field, when it would not pass the ledger's schema.
 */
export function rollbackRecord(plan: RollbackPlan, rollbackId: string, envStatus: EnvironmentStatus, now: string): ReleaseRecord {
  const record: ReleaseRecord =
    envStatus.state === 'succeeded'
      ? {
          outcome: 'live',
          release: {
            sha: plan.target.sha,
            ref: plan.target.ref,
            artifact: plan.target.artifact,
            wentLiveAt: now,
            by: rollbackId,
            kind: 'rollback',
            requestedBy: plan.requestedBy,
            approvedBy: (envStatus.approval?.received ?? []).filter((r) => r.decision === 'approve').map((r) => r.approver),
            reason: plan.reason,
            emergency: plan.emergency,
            ...(envStatus.database?.migrations ? { migrations: envStatus.database.migrations } : {}),
            ...(envStatus.database?.backupBefore ? { backupBefore: envStatus.database.backupBefore } : {}),
          },
        }
      : {
          outcome: 'not-live',
          attempt: {
            sha: plan.target.sha,
            artifact: plan.target.artifact,
            at: now,
            by: rollbackId,
            kind: 'rollback',
            outcome: NOT_LIVE[envStatus.state as keyof typeof NOT_LIVE] ?? 'failed',
            ...(envStatus.error ? { error: cut(envStatus.error, ERROR_CHARS) } : {}),
          },
        };
  const parsed = releaseRecordSchema.safeParse(record);
  if (!parsed.success) throw new Error(`the ledger record of ${rollbackId} for ${envStatus.name} is malformed: ${describeIssues(parsed.error).join('; ')}`);
  return parsed.data;
}
