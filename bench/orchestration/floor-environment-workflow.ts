// The floor's other design: the lock and the stage as one workflow per environment (issue 13:
// "the lock, the ledger and the stage can be one entity per environment"). The environment's
// workflow lives on, takes stage requests by signal (signal-with-start, from a local activity),
// runs them one at a time in its own history, first come first served, its search attributes
// saying which promotion's stage it runs and where, and signals each promotion when its stage is
// done. Per environment a promotion then costs no child workflow, no grant and no release: a
// request signal and a done signal. Nothing is checked, as in the floor.
import { condition, defineSignal, getExternalWorkflowHandle, proxyLocalActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { PromotionPlan } from '../../common/plan';
import { floorSearchAttributes, promotionSteps, stageSteps } from './floor-steps';

export interface StageRequest {
  promotionId: string;
  plan: PromotionPlan;
  environment: string;
}

export interface FloorEnvironmentActivities {
  /** Signal-with-start of the environment's workflow (started with `searchAttributes`) with one stage request. */
  requestStage(input: { environmentId: string; request: StageRequest; taskQueue: string; searchAttributes: SearchAttributePair[] }): Promise<void>;
}

export const stageRequestSignal = defineSignal<[StageRequest]>('stage');
/** The environment, and whether its stage succeeded. */
const stageDoneSignal = defineSignal<[string, boolean]>('stageDone');

const { requestStage } = proxyLocalActivities<FloorEnvironmentActivities>({ startToCloseTimeout: '30s' });

export const floorEnvironmentId = (app: string, environment: string) => `floor-environment/${app}/${environment}`;

/**
 * One per environment, long-lived: its stages, one at a time, first come first served. A request
 * sent again (its local activity run twice) runs once; a stage that fails is reported as such and
 * the next one runs.
 */
export async function floorEnvironment(): Promise<void> {
  const queue: StageRequest[] = [];
  const asked = new Set<string>();
  setHandler(stageRequestSignal, (request) => {
    const key = `${request.promotionId}/${request.environment}`;
    if (!asked.has(key)) queue.push(request);
    asked.add(key);
  });
  // Started with the first request's search attributes; each later request's begins with an upsert.
  for (let first = true; ; first = false) {
    await condition(() => queue.length > 0);
    const request = queue.shift()!;
    if (!first) upsertSearchAttributes(floorSearchAttributes(request.plan.app, request.plan.sha, request.environment, 'prepare'));
    const succeeded = await stageSteps(request.plan, request.environment, request.promotionId).then(
      () => true,
      () => false,
    );
    await getExternalWorkflowHandle(request.promotionId)
      .signal(stageDoneSignal, request.environment, succeeded)
      .catch(() => undefined); // a promotion gone meanwhile waits for nothing
  }
}

/** The floor's promotion, each environment's stage asked of the environment's workflow. */
export async function mergedFloorPromotion(plan: PromotionPlan): Promise<string> {
  const done = new Map<string, boolean>();
  setHandler(stageDoneSignal, (environment, succeeded) => void done.set(environment, succeeded));
  const promotionId = workflowInfo().workflowId;
  return promotionSteps(plan, async (env, at) => {
    at(env.name, 'stage');
    await requestStage({
      environmentId: floorEnvironmentId(plan.app, env.name),
      request: { promotionId, plan, environment: env.name },
      taskQueue: workflowInfo().taskQueue,
      searchAttributes: floorSearchAttributes(plan.app, plan.sha, env.name, 'prepare'),
    });
    await condition(() => done.has(env.name));
    if (!done.get(env.name)) throw new Error(`${env.name}: the stage failed`);
  });
}
