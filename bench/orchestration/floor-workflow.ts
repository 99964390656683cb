// The floor: the bare workflow plus, in their cheapest form, the three things issue 13 says a
// promotion keeps: each environment's stage in a workflow of its own (its own view in the Web
// UI), one stage per environment at a time (a lock workflow per environment), and the search
// attributes kept current (one upsert per step begun and per change of state; the first values
// given with the start, which costs no event). Nothing is checked: no status, no ledger, no
// notifications, no patches, no refusals, and every message is trusted. Whatever this costs over
// bare, any design that keeps those three pays on this server; Ferry's figure over the floor's is
// what its checks and its other features cost.
import {
  condition,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { FerryActivities, TargetInput } from '../../common/activity-contracts';
import type { EnvironmentPlan, PromotionPlan } from '../../common/plan';
import { searchAttributesAt } from '../../workflows/search-attributes';
import { deployByStrategy, stabilizeWithChecks } from './environment-steps';

export interface FloorLockActivities {
  /**
   * Asks the environment's lock (starting it if need be): 'granted', or 'queued' until a grant
   * signal comes. The worker picks how (worker-process.ts): by update, which answers in one round
   * trip but holds the asking workflow task open until the lock's own task has run, or by signal,
   * which holds nothing and is always answered by the grant signal.
   */
  claimLock(input: { lockId: string; requester: string; taskQueue: string }): Promise<'granted' | 'queued'>;
}

const approveSignal = defineSignal<[{ environment: string }]>('approve');
export const claimUpdate = defineUpdate<'granted' | 'queued', [string]>('claim');
export const queueSignal = defineSignal<[string]>('queue');
const releaseSignal = defineSignal<[string]>('release');
const grantedSignal = defineSignal('granted');

const act = proxyActivities<FerryActivities>({ startToCloseTimeout: '20m', retry: { maximumAttempts: 5 } });
const { claimLock } = proxyLocalActivities<FloorLockActivities>({ startToCloseTimeout: '30s' });

export const floorLockId = (app: string, environment: string) => `floor-lock/${app}/${environment}`;
export const floorStageId = (promotionId: string, environment: string) => `${promotionId}-${environment}`;

/** Ferry's five search attributes at one position. */
export const floorSearchAttributes = (app: string, sha: string, environment: string, stage: string, state = 'running'): SearchAttributePair[] =>
  searchAttributesAt({ app, sha, environment, stage, state });

/** One upsert per change, as Ferry's rule has it: a step begun, or a change of state. The first values come with the start, which costs no event. */
function position(app: string, sha: string) {
  return (environment: string, stage: string, state = 'running') => upsertSearchAttributes(floorSearchAttributes(app, sha, environment, stage, state));
}

export async function floorPromotion(plan: PromotionPlan): Promise<string> {
  const approved = new Set<string>();
  let granted = false;
  setHandler(approveSignal, ({ environment }) => void approved.add(environment));
  setHandler(grantedSignal, () => void (granted = true));
  const promotionId = workflowInfo().workflowId;
  const at = position(plan.app, plan.sha);
  const command = (c: PromotionPlan['build']) => ({ promotionId, source: { repo: plan.repo, sha: plan.sha }, command: c.command, timeoutMs: c.timeout, env: {}, secretEnv: [] });

  // Started at 'resolve' (floorSearchAttributes).
  await act.resolveCommit({ repo: plan.repo, ref: plan.sha });
  at('none', 'build');
  await act.build(command(plan.build));
  if (plan.test) {
    at('none', 'test');
    await act.test(command(plan.test));
  }
  at('none', 'prepare');
  await Promise.all(plan.environments.map((env) => act.prepare(target(plan, env))));

  for (const env of plan.environments) {
    if (env.approval) {
      at(env.name, 'approval', 'waiting');
      if (!(await condition(() => approved.has(env.name), env.approval.timeout))) throw new Error(`${env.name}: no approval in time`);
    }
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
  }
  at('none', 'none', 'succeeded');
  return 'succeeded';
}

function target(plan: PromotionPlan, env: EnvironmentPlan): TargetInput {
  return { app: plan.app, environment: env.name, target: env.target, strategy: env.strategy.kind, version: plan.artifact, source: { repo: plan.repo, sha: plan.sha } };
}

/** One environment's stage, as bare runs it, in a workflow of its own; started at 'prepare'. */
export async function floorStage(plan: PromotionPlan, environment: string): Promise<void> {
  const env = plan.environments.find((e) => e.name === environment)!;
  const at = position(plan.app, plan.sha);
  const promotionId = workflowInfo().parent!.workflowId;
  const t = target(plan, env);
  await act.prepare(t);
  const database = env.database && { app: plan.app, promotionId, environment: env.name, source: t.source, database: env.database };
  if (database && env.backup) {
    at(env.name, 'backup');
    await act.backupDatabase(database);
  }
  if (database) {
    at(env.name, 'migrate');
    await act.migrateDatabase(database);
  }
  at(env.name, env.strategy.kind === 'rolling' ? 'deploy' : 'canary');
  await deployByStrategy(act, env, t, 'the floor');
  at(env.name, 'stabilize');
  await stabilizeWithChecks(act, env, t);
  at(env.name, 'none', 'succeeded');
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
