// What both designs of the floor do alike (floor-workflow.ts: a lock and a stage workflow per
// environment; floor-environment-workflow.ts: one workflow per environment that is both): the
// promotion's steps up to each environment's stage, the stage's steps as bare runs them, and the
// search attributes kept current (one upsert per step begun or change of state).
import { condition, defineSignal, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { FerryActivities, TargetInput } from '../../common/activity-contracts';
import type { EnvironmentPlan, PromotionPlan } from '../../common/plan';
import { searchAttributesAt } from '../../workflows/search-attributes';
import { deployByStrategy, stabilizeWithChecks } from './environment-steps';

const approveSignal = defineSignal<[{ environment: string }]>('approve');

const act = proxyActivities<FerryActivities>({ startToCloseTimeout: '20m', retry: { maximumAttempts: 5 } });

/** Ferry's five search attributes at one position. */
export const floorSearchAttributes = (app: string, sha: string, environment: string, stage: string, state = 'running'): SearchAttributePair[] =>
  searchAttributesAt({ app, sha, environment, stage, state });

/** Where a workflow is, kept in its search attributes. */
export type Position = (environment: string, stage: string, state?: string) => void;

/** One upsert per change, as Ferry's rule has it: a step begun, or a change of state. The first values come with the start, which costs no event. */
export function position(app: string, sha: string): Position {
  return (environment, stage, state = 'running') => upsertSearchAttributes(floorSearchAttributes(app, sha, environment, stage, state));
}

function target(plan: PromotionPlan, env: EnvironmentPlan): TargetInput {
  return { app: plan.app, environment: env.name, target: env.target, strategy: env.strategy.kind, version: plan.artifact, source: { repo: plan.repo, sha: plan.sha } };
}

/**
 * A promotion as bare runs it, each environment's stage handed to `stage` once approved (started
 * at 'resolve': the search attributes given with its start).
 */
export async function promotionSteps(plan: PromotionPlan, stage: (env: EnvironmentPlan, at: Position) => Promise<void>): Promise<string> {
  const approved = new Set<string>();
  setHandler(approveSignal, ({ environment }) => void approved.add(environment));
  const promotionId = workflowInfo().workflowId;
  const at = position(plan.app, plan.sha);
  const command = (c: PromotionPlan['build']) => ({ promotionId, source: { repo: plan.repo, sha: plan.sha }, command: c.command, timeoutMs: c.timeout, env: {}, secretEnv: [] });

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
    await stage(env, at);
  }
  at('none', 'none', 'succeeded');
  return 'succeeded';
}

/** One environment's stage, as bare runs it, in whichever workflow runs it. */
export async function stageSteps(plan: PromotionPlan, environment: string, promotionId: string): Promise<void> {
  const env = plan.environments.find((e) => e.name === environment)!;
  const at = position(plan.app, plan.sha);
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
