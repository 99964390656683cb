// Two promotions of one app into dev, the first held inside its deploy (so it holds dev's lock)
// and the second queued behind it: where the lock's hand-over and hostile-message tests act.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LockActivities } from '../../common/activity-contracts';
import type { FerryConfig } from '../../common/config-schema';
import { lockStateQuery } from '../../common/messages';
import { lockWorkflowId, type PromotionPlan } from '../../common/plan';
import { samplePlan } from './fixtures';
import { askAgain } from './lock-queries';
import { startPromotion } from './promotions';
import { hold, stubActivities, type StubbedActivities } from './stub-activities';
import { startWorker } from './temporal-env';

export type Held = ReturnType<typeof hold>;

export interface TwoPromotions {
  plans: PromotionPlan[];
  first: WorkflowHandle;
  second: WorkflowHandle;
  deployOfFirst: Held;
  stub: ReturnType<typeof stubActivities>;
}

/** Polls `read` until `reached` (30 s at most); a read that fails is tried again. */
export async function until<T>(read: () => Promise<T>, reached: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (reached(last)) return last;
    } catch {
      // not there yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never reached "${what}"; last: ${JSON.stringify(last)}`);
}

/** A reader of the lock's state, for `until`. */
export const lockState = (env: TestWorkflowEnvironment, app: string, envName: string) => () => askAgain(env, () => env.client.workflow.getHandle(lockWorkflowId(app, envName)).query(lockStateQuery));

/** A held activity never lets its worker shut down: whatever the test's outcome, let it go. */
export const releasedAfter = (held: Held, body: () => Promise<void>) => async () => {
  try {
    await body();
  } finally {
    held.release();
  }
};

/**
 * Starts both on a test worker (lock activities given in `lock` replace the real ones) and runs
 * `scene` once the second is queued; the held deploy is let go whatever happens.
 */
export async function firstHoldsDevSecondQueues(
  env: TestWorkflowEnvironment,
  configure: (config: FerryConfig) => void,
  scene: (promotions: TwoPromotions) => Promise<void>,
  lock: Partial<LockActivities> = {},
): Promise<void> {
  const plans = [samplePlan(configure), samplePlan(configure)];
  const deployOfFirst = hold();
  const stub = stubActivities({
    deploy: async (input) => {
      if (input.version === plans[0].artifact) await deployOfFirst.here();
      return { previousVersion: 'shop:previous' };
    },
  });
  const worker = await startWorker(env, { ...stub.activities, ...lock } as StubbedActivities);
  await worker.runUntil(
    releasedAfter(deployOfFirst, async () => {
      const first = await startPromotion(env, plans[0]);
      await deployOfFirst.arrived;
      const second = await startPromotion(env, plans[1]);
      await until(lockState(env, 'shop', 'dev'), (s) => s.queue.includes(second.workflowId), 'the second promotion queued');
      await scene({ plans, first, second, deployOfFirst, stub });
    }),
  );
}
