// Running the rollback workflow on the time-skipping server with stubbed activities: the lock
// itself is real; the ledger's two activities are stubbed with a seeded ledger, and the record is
// read from the rollback's own lockClaims answer, as the lock reads it.
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LockActivities } from '../../common/activity-contracts';
import type { EnvironmentLedger, LedgerRelease, ReleaseRecord } from '../../common/ledger';
import { lockClaimsQuery, statusQuery } from '../../common/messages';
import { lockWorkflowId } from '../../common/plan';
import { rollbackWorkflowId, type RollbackPlan } from '../../common/rollback-plan';
import type { PromotionStatus } from '../../common/status';
import { nextSha, samplePlan } from './fixtures';
import { recordHistories } from './histories';
import { locksSettled } from './promotions';
import { lockActivities } from '../../activities/environment-lock';
import { stubActivities, type StubbedActivities } from './stub-activities';
import { startWorker, TASK_QUEUE } from './temporal-env';

export function release(sha: string, artifact: string, extra: Partial<LedgerRelease> = {}): LedgerRelease {
  return { sha, ref: 'main', artifact, wentLiveAt: '2026-11-01T10:00:00.000Z', by: `ferry-shop-${sha.slice(0, 7)}`, kind: 'promotion', approvedBy: [], ...extra };
}

/** `older` then `live` promoted to `environment` of the sample shop, and a rollback plan back to `older`. */
export function scenario(environment: 'dev' | 'staging' | 'production', edit: (plan: RollbackPlan) => void = () => undefined) {
  const app = 'shop';
  const older = release(nextSha(), `${app}:older`);
  const live = release(nextSha(), `${app}:live`, { backupBefore: { file: `/var/backups/${app}/${environment}/newer--run.dump`, bytes: 10, sha256: 'cd'.repeat(32) } });
  const promotion = samplePlan();
  const plan: RollbackPlan = {
    app,
    repo: promotion.repo,
    taskQueue: TASK_QUEUE,
    // Seconds, not minutes: should the test server's clock stall, a test still ends.
    environment: { ...promotion.environments.find((e) => e.name === environment)!, stabilize: 2_000, healthCheckInterval: 1_000 },
    target: { sha: older.sha, ref: older.ref, artifact: older.artifact },
    replacing: live.sha,
    requestedBy: 'rita',
    reason: 'checkout errors since the last release',
    emergency: false,
  };
  edit(plan);
  const ledger: EnvironmentLedger = { lockId: lockWorkflowId(app, environment), app, environment, releases: [live, older], queue: [] };
  return { plan, ledger, live, older };
}

/**
 * The ledger's activities: `readLedger` answers `ledger`; `recordRelease` reads the record from the
 * holder's own lockClaims, and hands it to the real lock as well, which lets a holder that leaves
 * with its record go (its own ledger is not the one the test seeded).
 */
function ledgerActivities(env: TestWorkflowEnvironment, ledger: () => EnvironmentLedger | undefined) {
  const recorded: ReleaseRecord[] = [];
  const lock = lockActivities(env.client);
  const activities: Pick<LockActivities, 'readLedger' | 'recordRelease'> = {
    readLedger: async () => ledger(),
    recordRelease: async (input) => {
      const claims = await env.client.workflow.getHandle(input.requester.workflowId, input.requester.runId).query(lockClaimsQuery);
      const record = claims.records?.find((r) => r.lock === input.lockId)?.record;
      await lock.recordRelease(input);
      if (record) recorded.push(record);
      return ledger()!;
    },
  };
  return { activities, recorded };
}

async function outcomeOf(handle: WorkflowHandle): Promise<PromotionStatus> {
  try {
    return (await handle.result()) as PromotionStatus;
  } catch (error) {
    const details = (error as { cause?: unknown }).cause;
    if (details instanceof ApplicationFailure && details.details?.[0]) return details.details[0] as PromotionStatus;
    return handle.query(statusQuery);
  }
}

/** Runs one rollback on its own worker to its end; `during` acts on it meanwhile. */
export async function runRollback(
  env: TestWorkflowEnvironment,
  plan: RollbackPlan,
  ledger: () => EnvironmentLedger | undefined,
  overrides: Partial<StubbedActivities & Pick<LockActivities, 'recordRelease'>> = {},
  during: (handle: WorkflowHandle) => Promise<void> = async () => undefined,
) {
  const { recordRelease, ...stubbed } = overrides;
  const stub = stubActivities(stubbed);
  const book = ledgerActivities(env, ledger);
  const worker = await startWorker(env, { ...stub.activities, ...book.activities, ...(recordRelease ? { recordRelease } : {}) } as StubbedActivities);
  const workflowId = rollbackWorkflowId(plan.app, plan.environment.name, plan.target.sha);
  const status = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('rollback', { taskQueue: TASK_QUEUE, workflowId, args: [plan] });
    const [status] = await Promise.all([outcomeOf(handle), during(handle)]);
    // The lock checks its holder by an activity after the release: a worker stopped mid-check stalls the test server's clock.
    await locksSettled(env, status);
    await recordHistories(env, handle);
    return status;
  });
  return { status, stub, recorded: book.recorded, workflowId };
}

export const stepsOf = (status: PromotionStatus) => status.environments[0].steps.map((s) => `${s.name}:${s.state}`);
