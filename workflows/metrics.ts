// Ferry's metrics, emitted from workflow code through the SDK's `metricMeter`: they leave through
// the worker runtime's exporter (Prometheus), and a replay (a worker catching up on history)
// emits nothing, so each fact is counted once. Labels stay low-cardinality: app, environment,
// step, outcome; never a commit, a workflow ID or a person.
import { log, metricMeter, workflowInfo } from '@temporalio/workflow';
import { FERRY_METRICS } from '../common/ferry-metrics';
import type { PromotionStatus, StepStatus } from '../common/status';
import { SearchAttr } from '../common/search-attributes';

const NONE = 'none';

const counter = (name: string, description: string) => metricMeter.createCounter(name, undefined, description);
const seconds = (name: string, description: string) => metricMeter.createHistogram(name, 'float', undefined, description);

const durationSeconds = (from: string | undefined, to: string | undefined): number | undefined => {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
};

/**
 * Where the workflow is: its app and current environment, as its search attributes say (the
 * promotion, its stages and rollbacks keep them current before any step begins or ends).
 */
export function position(): { app: string; environment: string } {
  const attributes = workflowInfo().typedSearchAttributes;
  return { app: attributes.get(SearchAttr.app) ?? NONE, environment: attributes.get(SearchAttr.environment) ?? NONE };
}

/** The promotion this workflow serves: itself, or the promotion a stage runs for. */
export const promotionId = (): string => workflowInfo().root?.workflowId ?? workflowInfo().workflowId;

/** A step ended: its duration, and for the gates people and locks hold, how long they held it. */
export function stepEnded(step: StepStatus, startedAtMs: number): void {
  const { app, environment } = position();
  const outcome = step.state;
  const tookSeconds = Math.max(0, Date.now() - startedAtMs) / 1000;
  const labels = { app, environment, step: step.name, outcome };
  seconds(FERRY_METRICS.stepDuration, 'How long each step of a stage ran, by app, environment, step and outcome').record(tookSeconds, labels);
  if (step.name === 'approval') seconds(FERRY_METRICS.approvalWait, 'How long an environment waited for its approval').record(tookSeconds, { app, environment, outcome });
  if (step.name === 'lock') seconds(FERRY_METRICS.lockWait, "How long a stage waited for its environment's lock").record(tookSeconds, { app, environment, outcome });
  const fields = { promotion: promotionId(), app, environment, step: step.name, outcome, seconds: tookSeconds };
  if (outcome === 'failed') log.warn(`${step.name} failed: ${step.error ?? ''}`, fields);
  else log.info(`${step.name} ${outcome}`, fields);
}

export function stepBegan(step: StepStatus): void {
  const { app, environment } = position();
  log.info(`${step.name} ${step.state === 'waiting' ? 'waiting' : 'started'}`, { promotion: promotionId(), app, environment, step: step.name, attempt: step.attempts });
}

export function promotionStarted(app: string): void {
  counter(FERRY_METRICS.promotionsStarted, 'Promotions started, by app').add(1, { app });
}

/**
 * A promotion (or a rollback, `rollback: true`) ended: counted by its outcome and the environment
 * it ended in (the last it reached; `none` when it stopped before any), with each environment's
 * stage duration.
 */
export function promotionFinished(status: PromotionStatus, { rollback = false } = {}): void {
  const reached = status.environments.filter((env) => env.steps.some((step) => step.startedAt));
  const environment = reached.at(-1)?.name ?? NONE;
  const outcome = status.state;
  const name = rollback ? FERRY_METRICS.rollbacksFinished : FERRY_METRICS.promotionsFinished;
  counter(name, rollback ? 'Rollbacks finished, by app, environment and outcome' : 'Promotions finished, by app, the environment they ended in, and outcome').add(1, {
    app: status.app,
    environment,
    outcome,
  });
  for (const env of reached) {
    const took = durationSeconds(env.steps.find((s) => s.startedAt)?.startedAt, env.steps.findLast((s) => s.endedAt)?.endedAt);
    if (took === undefined) continue;
    seconds(FERRY_METRICS.stageDuration, "How long an environment's stage took, gates included, by app, environment and outcome").record(took, {
      app: status.app,
      environment: env.name,
      outcome: env.state,
    });
  }
  const fields = { promotion: status.workflowId, app: status.app, environment, outcome };
  if (outcome === 'succeeded') log.info(`${rollback ? 'rollback' : 'promotion'} ${outcome}`, fields);
  else log.warn(`${rollback ? 'rollback' : 'promotion'} ${outcome}: ${status.error ?? ''}`, fields);
}
