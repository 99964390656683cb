// The baseline: the workflow someone would write for the same promotion without Ferry's
// orchestration. It makes the same activity calls and timers in the same order as one Ferry
// promotion of the bench plan (the bench asserts so at start), in one workflow: no lock, no
// child workflows, no search attributes, no status, no notifications.
import { ApplicationFailure, condition, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { FerryActivities, TargetInput } from '../../common/activity-contracts';
import type { EnvironmentPlan, PromotionPlan } from '../../common/plan';
import { deployByStrategy, stabilizeWithChecks } from './environment-steps';

const approveSignal = defineSignal<[{ environment: string }]>('approve');

const act = proxyActivities<FerryActivities>({ startToCloseTimeout: '20m', retry: { maximumAttempts: 5 } });

export async function barePromotion(plan: PromotionPlan): Promise<string> {
  const approved = new Set<string>();
  setHandler(approveSignal, ({ environment }) => void approved.add(environment));
  const promotionId = workflowInfo().workflowId;
  const source = { repo: plan.repo, sha: plan.sha };
  const target = (env: EnvironmentPlan): TargetInput => ({
    app: plan.app,
    environment: env.name,
    target: env.target,
    strategy: env.strategy.kind,
    version: plan.artifact,
    source,
  });
  const command = (c: PromotionPlan['build']) => ({ promotionId, source, command: c.command, timeoutMs: c.timeout, env: {}, secretEnv: [] });

  await act.resolveCommit({ repo: plan.repo, ref: plan.sha });
  await act.build(command(plan.build));
  if (plan.test) await act.test(command(plan.test));
  await Promise.all(plan.environments.map((env) => act.prepare(target(env))));

  for (const env of plan.environments) {
    if (env.approval && !(await condition(() => approved.has(env.name), env.approval.timeout))) {
      throw ApplicationFailure.nonRetryable(`${env.name}: no approval in time`);
    }
    const t = target(env);
    await act.prepare(t);
    const database = env.database && { app: plan.app, promotionId, environment: env.name, source, database: env.database };
    if (database && env.backup) await act.backupDatabase(database);
    if (database) await act.migrateDatabase(database);
    await deployByStrategy(act, env, t, 'the bare baseline');
    await stabilizeWithChecks(act, env, t);
  }
  return 'succeeded';
}
