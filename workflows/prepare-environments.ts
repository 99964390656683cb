import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { SourceRef } from '../common/activity-contracts';
import type { EnvironmentPlan, PromotionPlan } from '../common/plan';
import type { EnvironmentStatus } from '../common/status';
import { environmentActivities } from './activities';
import { rootMessage, type StepLog } from './step-log';
import { targetInputOf } from './target-input';

/**
 * Every environment still to promote checks that the release can run there (settings resolve,
 * overlay renders), each on its own task queue, before the first stage changes anything: a
 * secret missing on production's worker is found before dev is deployed, not days later. All
 * are asked at once and every failure is named, so one run shows every problem.
 */
export async function prepareEnvironments(plan: PromotionPlan, source: SourceRef, log: StepLog, environments: EnvironmentStatus[]): Promise<void> {
  const due = plan.environments.filter((env) => !env.skip);
  if (due.length === 0) return log.skip('prepare', 'no environment to promote to');
  await log.run(
    'prepare',
    async (step) => {
      const ready: string[] = [];
      const answered = new Set<string>();
      // While a worker has not answered (production's may be down), the detail says whose answer is awaited.
      const show = () => {
        const waiting = due.filter((env) => !answered.has(env.name)).map((env) => env.name);
        const parts = [ready.length > 0 ? `${plan.artifact} can run in ${ready.join(', ')}` : '', waiting.length > 0 ? `waiting for ${waiting.join(', ')}` : ''];
        log.update(step, parts.filter(Boolean).join('; ') || `${plan.artifact} can run in none of them`);
      };
      show();
      const failures = await Promise.all(
        due.map(async (env: EnvironmentPlan) => {
          try {
            await environmentActivities(env.taskQueue).target.prepare(targetInputOf(plan.app, env, plan.artifact, source), `check that ${plan.artifact} can run in ${env.name}`);
            ready.push(env.name);
            return undefined;
          } catch (error) {
            if (isCancellation(error)) throw error;
            return { env: env.name, message: rootMessage(error) };
          } finally {
            answered.add(env.name);
            show();
          }
        }),
      );
      // In the plan's order, whatever order the workers answered in.
      ready.sort((a, b) => order(due, a) - order(due, b));
      show();
      const failed = failures.filter((f): f is { env: string; message: string } => f !== undefined);
      if (failed.length === 0) return step.detail!;
      for (const { env, message } of failed) {
        const status = environments.find((e) => e.name === env);
        if (status) Object.assign(status, { state: 'failed', error: message });
      }
      throw ApplicationFailure.nonRetryable(failed.map((f) => `${f.env}: ${f.message}`).join('; '), 'PrepareFailed');
    },
    (detail) => detail,
  );
}

const order = (envs: EnvironmentPlan[], name: string) => envs.findIndex((e) => e.name === name);
