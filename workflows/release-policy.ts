// Who may promote what (each environment's `from` and `after`), checked once, before the build, so
// a refused release runs nothing; and git's record of what runs where (`recordRef`), moved once an
// environment went live.
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { FailureType } from '../common/errors';
import { lockWorkflowId, shortSha, type PromotionPlan, type RecordRefPlan } from '../common/plan';
import { afterRefusal, entryChecks, fromRefusal, wentLive, type EntryCheck } from '../common/release-order-rules';
import type { EnvironmentStatus, PromotionStatus } from '../common/status';
import { gitActivities, lockActivities } from './activities';
import { rootMessage, type StepLog } from './step-log';

/** Whether the plan has anything for the refs policy to check (most plans that run every environment in order have not). */
export const hasEntryChecks = (plan: PromotionPlan) => entryChecks(plan.environments).length > 0;

/**
 * Checks every environment the promotion will enter. Up front is enough: an `after` environment
 * this promotion runs comes before the one that needs it, and the promotion stops at the first
 * environment that does not succeed; an `after` environment an earlier run promoted is read from
 * its ledger now. Refused environments are marked `refused`, and the promotion ends with a Refused
 * failure naming each environment and rule.
 */
export async function checkReleasePolicy(plan: PromotionPlan, status: PromotionStatus, log: StepLog): Promise<void> {
  const checks = entryChecks(plan.environments);
  if (checks.length === 0) return;
  const step = log.begin('policy', 'running', `${checks.map((c) => c.environment).join(', ')}: from, after`);
  let refusals: { index: number; why: string }[];
  try {
    refusals = (await Promise.all(checks.map((check) => refusalOf(plan, check)))).filter((r) => r !== undefined);
  } catch (error) {
    log.end(step, isCancellation(error) ? 'cancelled' : 'failed', undefined, rootMessage(error));
    throw error;
  }
  if (refusals.length === 0) return log.end(step, 'succeeded', `${checks.map((c) => c.environment).join(', ')} may take ${shortSha(plan.sha)}`);
  for (const { index, why } of refusals) Object.assign(status.environments[index], { state: 'refused', error: why });
  const message = refusals.map((r) => r.why).join('; ');
  log.end(step, 'failed', undefined, message);
  throw ApplicationFailure.nonRetryable(message, FailureType.Refused);
}

async function refusalOf(plan: PromotionPlan, check: EntryCheck): Promise<{ index: number; why: string } | undefined> {
  const reasons: string[] = [];
  if (check.from) {
    const input = { repo: plan.repo, sha: plan.sha, branches: check.from, credentialsEnv: plan.repoCredentialsEnv };
    const answer = await gitActivities().checkBranches(input, `is ${shortSha(plan.sha)} on ${check.from.join(' or ')} (${check.environment}.from)?`);
    if (!answer.onBranch) reasons.push(fromRefusal(check.environment, answer.why ?? `commit ${shortSha(plan.sha)} is not on ${check.from.join(' or ')}`));
  }
  if (check.wentLiveIn) {
    const lockId = lockWorkflowId(plan.app, check.wentLiveIn);
    const ledger = await lockActivities().readLedger({ lockId }, `did ${shortSha(plan.sha)} go live in ${check.wentLiveIn} (${check.environment}.after)?`);
    if (!wentLive(ledger, plan.sha)) reasons.push(afterRefusal(check.environment, plan.sha, check.wentLiveIn));
  }
  return reasons.length > 0 ? { index: check.index, why: reasons.join('; ') } : undefined;
}

/** Whether the stage just made the release live (read where the compiler still thinks the state is what it was before the stage). */
export const wentLiveNow = (env: EnvironmentStatus) => env.state === 'succeeded';

/** The ref an environment's live commit is recorded under, as configured (`{env}` filled in). */
export const environmentRef = (recordRef: RecordRefPlan, environment: string) => recordRef.ref.replaceAll('{env}', environment);

/**
 * Points the environment's ref (recordRef) at `sha`, the commit now live there. For a promotion and
 * a rollback alike. The environment is live whatever git says: a push that fails is a failed
 * `record-ref` step with git's reason, never a failed environment. Does nothing without recordRef.
 */
export async function moveEnvironmentRef(plan: Pick<PromotionPlan, 'repo' | 'repoCredentialsEnv' | 'recordRef'>, environment: string, sha: string, steps: StepLog): Promise<void> {
  const recordRef = plan.recordRef;
  if (!recordRef) return;
  const ref = environmentRef(recordRef, environment);
  const input = { repo: plan.repo, sha, ref, credentialsEnv: recordRef.credentialsEnv ?? plan.repoCredentialsEnv };
  await steps
    .run(
      'record-ref',
      () => gitActivities().moveRef(input, `move ${ref} to ${shortSha(sha)}`),
      (moved) => (moved.previous ? `${moved.ref}: ${shortSha(moved.previous)} → ${shortSha(sha)}` : `${moved.ref} → ${shortSha(sha)}`),
    )
    .catch((error: unknown) => {
      // The failed step says why; the environment stays live.
      if (isCancellation(error)) throw error;
    });
}
