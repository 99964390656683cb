// The floor: the bare workflow plus, in their cheapest form, the three things issue 13 says a
// promotion keeps: each environment's stage in a workflow of its own (its own view in the Web
// UI), one stage per environment at a time (a lock workflow per environment), and the search
// attributes kept current (one upsert per step begun and per change of state; the first values
// given with the start, which costs no event). Nothing is checked: no status, no ledger, no
// notifications, no patches, no refusals, and every message is trusted. Ferry's figure over the
// floor's is what its checks and its other features cost. The many-at-once figure also runs the
// floor's other design, the lock and the stage as one workflow per environment
// (floor-environment-workflow.ts), so that a goal both miss is not one design's cost.
import { condition, defineSignal, defineUpdate, getExternalWorkflowHandle, proxyLocalActivities, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import type { PromotionPlan } from '../../common/plan';
import { floorSearchAttributes, promotionSteps, stageSteps } from './floor-steps';

export { floorSearchAttributes } from './floor-steps';
// The other design, lock and stage as one workflow per environment.
export { floorEnvironment, mergedFloorPromotion } from './floor-environment-workflow';

export interface FloorLockActivities {
  /**
   * Asks the environment's lock (starting it if need be): 'granted', or 'queued' until a grant
   * signal comes. The worker picks how (worker-process.ts): by update, which answers in one round
   * trip but holds the asking workflow task open until the lock's own task has run, or by signal,
   * which holds nothing and is always answered by the grant signal.
   */
  claimLock(input: { lockId: string; requester: string; taskQueue: string }): Promise<'granted' | 'queued'>;
}

export const claimUpdate = defineUpdate<'granted' | 'queued', [string]>('claim');
export const queueSignal = defineSignal<[string]>('queue');
const releaseSignal = defineSignal<[string]>('release');
const grantedSignal = defineSignal('granted');

const { claimLock } = proxyLocalActivities<FloorLockActivities>({ startToCloseTimeout: '30s' });

export const floorLockId = (app: string, environment: string) => `floor-lock/${app}/${environment}`;
export const floorStageId = (promotionId: string, environment: string) => `${promotionId}-${environment}`;

export async function floorPromotion(plan: PromotionPlan): Promise<string> {
  let granted = false;
  setHandler(grantedSignal, () => void (granted = true));
  const promotionId = workflowInfo().workflowId;
  return promotionSteps(plan, async (env, at) => {
    const lockId = floorLockId(plan.app, env.name);
    granted = false;
    if ((await claimLock({ lockId, requester: promotionId, taskQueue: workflowInfo().taskQueue })) === 'queued') {
      at(env.name, 'lock', 'waiting');
      await condition(() => granted);
    }
    at(env.name, 'stage');
    const stageId = floorStageId(promotionId, env.name);
    const child = await startChild(floorStage, { workflowId: stageId, args: [plan, env.name], typedSearchAttributes: floorSearchAttributes(plan.app, plan.sha, env.name, 'prepare') });
    await child.result();
    await getExternalWorkflowHandle(lockId).signal(releaseSignal, promotionId);
  });
}

/** One environment's stage, as bare runs it, in a workflow of its own; started at 'prepare'. */
export async function floorStage(plan: PromotionPlan, environment: string): Promise<void> {
  await stageSteps(plan, environment, workflowInfo().parent!.workflowId);
}

/** One per environment, long-lived as Ferry's lock is: first come, first served, no checks. */
export async function floorLock(): Promise<void> {
  const queue: string[] = [];
  let holder: string | undefined;
  const claim = (requester: string): 'granted' | 'queued' => {
    if (holder !== undefined) {
      queue.push(requester);
      return 'queued';
    }
    holder = requester;
    return 'granted';
  };
  const grant = (to: string) => void getExternalWorkflowHandle(to).signal(grantedSignal);
  setHandler(claimUpdate, claim);
  setHandler(queueSignal, (requester) => {
    if (claim(requester) === 'granted') grant(requester);
  });
  setHandler(releaseSignal, (requester) => {
    if (requester !== holder) return;
    holder = queue.shift();
    if (holder !== undefined) grant(holder);
  });
  await condition(() => false);
}
