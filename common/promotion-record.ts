// What a promotion writes in an environment's ledger once its stage there is done.
import { releaseRecordSchema, type ReleaseRecord } from './ledger';
import type { PromotionPlan } from './plan';
import { describeIssues } from './problems';
import type { EnvironmentStatus } from './status';

const ERROR_CHARS = 2_000;
const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const NOT_LIVE = { 'rolled-back': 'rolled-back', failed: 'failed', aborted: 'aborted' } as const;

/**
 * The record of `envStatus` after its stage ran: the release that went live (with who asked for
 * it, who approved it, and the database it left), or the try that did not. Throws, naming the
 * field, when the record would not pass the ledger's own schema.
 */
export function promotionRecord(plan: PromotionPlan, promotionId: string, envStatus: EnvironmentStatus, now: string): ReleaseRecord {
  const record: ReleaseRecord =
    envStatus.state === 'succeeded'
      ? {
          outcome: 'live',
          release: {
            sha: plan.sha,
            ref: cut(plan.ref, 300),
            artifact: plan.artifact,
            wentLiveAt: now,
            by: promotionId,
            kind: 'promotion',
            ...(plan.requestedBy ? { requestedBy: cut(plan.requestedBy, 200) } : {}),
            approvedBy: (envStatus.approval?.received ?? []).filter((r) => r.decision === 'approve').map((r) => r.approver),
            ...(envStatus.database?.migrations ? { migrations: envStatus.database.migrations } : {}),
            ...(envStatus.database?.backupBefore ? { backupBefore: envStatus.database.backupBefore } : {}),
          },
        }
      : {
          outcome: 'not-live',
          attempt: {
            sha: plan.sha,
            artifact: plan.artifact,
            at: now,
            by: promotionId,
            kind: 'promotion',
            outcome: NOT_LIVE[envStatus.state as keyof typeof NOT_LIVE] ?? 'failed',
            ...(envStatus.error ? { error: cut(envStatus.error, ERROR_CHARS) } : {}),
          },
        };
  const parsed = releaseRecordSchema.safeParse(record);
  if (!parsed.success) throw new Error(`the ledger record of ${promotionId} for ${envStatus.name} is malformed: ${describeIssues(parsed.error).join('; ')}`);
  return parsed.data;
}
