// The deploy and stabilize steps of one environment as the bench's workflows without Ferry run
// them (bare and the floor): the same activities and timers, in the order Ferry's stage makes them.
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import type { FerryActivities, TargetInput } from '../../common/activity-contracts';
import type { EnvironmentPlan } from '../../common/plan';

type StepActivities = Pick<FerryActivities, 'deploy' | 'promote' | 'setCanaryWeight' | 'analyze' | 'checkHealth'>;

/** Rolling: one deploy. Canary: each weight, its pause and its analysis, until 100 %. `who` names the workflow in a refusal. */
export async function deployByStrategy(act: StepActivities, env: EnvironmentPlan, t: TargetInput, who: string): Promise<void> {
  if (env.strategy.kind === 'rolling') return void (await act.deploy(t));
  if (env.strategy.kind !== 'canary') throw ApplicationFailure.nonRetryable(`${env.name}: ${who} knows rolling and canary only`);
  for (const weight of env.strategy.steps) {
    if (weight === 100) {
      await act.promote(t);
      return;
    }
    await act.setCanaryWeight({ ...t, weight });
    await sleep(env.strategy.pause);
    await act.analyze({ ...t, analysis: env.analysis });
  }
}

/** A health check every interval until the stabilize time has passed. */
export async function stabilizeWithChecks(act: StepActivities, env: EnvironmentPlan, t: TargetInput): Promise<void> {
  const interval = Math.min(env.healthCheckInterval, env.stabilize);
  for (let elapsed = 0; elapsed < env.stabilize;) {
    const wait = Math.min(interval, env.stabilize - elapsed);
    await sleep(wait);
    elapsed += wait;
    const health = await act.checkHealth({ ...t, analysis: env.analysis });
    if (!health.healthy) throw ApplicationFailure.nonRetryable(`${env.name}: unhealthy while it stabilized`);
  }
}
