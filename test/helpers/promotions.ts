import type { WorkflowHandle } from '@temporalio/client';
import { askAgain } from './lock-queries';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { lockStateQuery, statusQuery } from '../../common/messages';
import { lockWorkflowId, promotionWorkflowId, type PromotionPlan } from '../../common/plan';
import type { PromotionStatus } from '../../common/status';
import type { promotion } from '../../workflows';
import type { StubbedActivities } from './stub-activities';
import { recordHistories } from './histories';
import { startWorker, TASK_QUEUE } from './temporal-env';

export function startPromotion(env: TestWorkflowEnvironment, plan: PromotionPlan): Promise<WorkflowHandle<typeof promotion>> {
  return env.client.workflow.start('promotion', {
    taskQueue: TASK_QUEUE,
    workflowId: promotionWorkflowId(plan.app, plan.sha),
    args: [plan],
  }) as Promise<WorkflowHandle<typeof promotion>>;
}

/** The promotion's final status, whether it succeeded or failed. */
export async function outcome(handle: WorkflowHandle): Promise<PromotionStatus> {
  try {
    return (await handle.result()) as PromotionStatus;
  } catch {
    return handle.query(statusQuery);
  }
}

/**
 * Polls the status query until the promotion reaches the point a test wants to act at.
 * Queries do not move the test server's clock; a concurrent `outcome()` does.
 */
export async function waitForStatus(handle: WorkflowHandle, reached: (status: PromotionStatus) => boolean, what: string): Promise<PromotionStatus> {
  const deadline = Date.now() + 30_000;
  let last: PromotionStatus | undefined;
  while (Date.now() < deadline) {
    try {
      last = await handle.query(statusQuery);
      if (reached(last)) return last;
    } catch {
      // not started yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`promotion never reached "${what}"; last status: ${JSON.stringify(last, null, 2)}`);
}

export const environment = (status: PromotionStatus, name: string) => status.environments.find((e) => e.name === name)!;

export const step = (status: PromotionStatus, envName: string, stepName: string) => environment(status, envName).steps.find((s) => s.name === stepName);

export const waitingForApproval = (envName: string) => (status: PromotionStatus) => environment(status, envName).state === 'waiting' && environment(status, envName).approval !== undefined;

/**
 * Runs one promotion on a worker with the given activities. `during` acts on it while it runs
 * (signals, updates); the outcome is awaited alongside, which lets the test server skip time.
 */
export async function runPromotion(
  env: TestWorkflowEnvironment,
  activities: StubbedActivities,
  plan: PromotionPlan,
  during: (handle: WorkflowHandle<typeof promotion>) => Promise<void> = async () => undefined,
): Promise<{ status: PromotionStatus; handle: WorkflowHandle<typeof promotion> }> {
  const worker = await startWorker(env, activities);
  return worker.runUntil(async () => {
    const handle = await startPromotion(env, plan);
    const [status] = await Promise.all([outcome(handle), during(handle)]);
    await locksSettled(env, status);
    await recordHistories(env, handle);
    return { status, handle };
  });
}

/**
 * Waits until the lock workflows a promotion used are free: ended, or (keeping their ledger) open
 * with nobody holding or waiting. A lock checks its holder with an activity after the release; a
 * test that stops its worker in the middle of that leaves the time-skipping server waiting out the
 * activity's timeout in real time, and the next test with it.
 */
export async function locksSettled(env: TestWorkflowEnvironment, status: PromotionStatus): Promise<void> {
  for (const environment of status.environments) {
    const lock = env.client.workflow.getHandle(lockWorkflowId(status.app, environment.name));
    const busy = async () => {
      if (
        !(await lock.describe().then(
          (d) => d.status.name === 'RUNNING',
          () => false,
        ))
      )
        return false;
      const state = await askAgain(env, () => lock.query(lockStateQuery)).catch(() => undefined);
      return !state || state.holder !== undefined || state.queue.length > 0;
    };
    const deadline = Date.now() + 30_000;
    while (await busy()) {
      if (Date.now() > deadline) throw new Error(`${lock.workflowId} is still held 30 s after the promotion ended`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
