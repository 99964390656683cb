// The target activities: each builds the environment's target from the input and runs one
// idempotent call on it, heartbeating so a dead worker is noticed within the heartbeat timeout.
import { Context } from '@temporalio/activity';
import type { AnalysisResult, HealthActivities, TargetActivities, TargetInput } from '../../common/activity-contracts';
import type { AnalysisConfig } from '../../common/config-schema';
import { parseActivityInput } from '../../common/activity-input';
import { analyzeVersion } from '../health/analysis';
import { localTarget } from './local/local-target';
import type { Target } from './target';
import { targetInputSchema } from './target-input';

export interface TargetSettings {
  /** Where local environments keep their state, releases and logs. */
  stateDir: string;
}

const HEARTBEAT_EVERY_MS = 5_000;

// Loaded on first use: @kubernetes/client-node alone is about half a second of a worker's
// start-up, paid for nothing by a worker whose environments are all local.
const kubernetes = () => require('./kubernetes') as typeof import('./kubernetes');

export function targetActivities(settings: TargetSettings): TargetActivities & HealthActivities {
  const analyze = ({ analysis, ...input }: TargetInput & { analysis: AnalysisConfig }): Promise<AnalysisResult> =>
    withTarget(input, settings, (target, context) =>
      analyzeVersion({
        target,
        version: input.version,
        environment: input.environment,
        analysis,
        signal: context.cancellationSignal,
        heartbeat: (detail) => context.heartbeat(detail),
      }),
    );

  return {
    prepare: (input) => withTarget(input, settings, (target) => target.prepare(input.version)),
    deploy: (input) =>
      withTarget(input, settings, async (target) => {
        const before = await target.versions();
        await target.deploy(input.version);
        return { previousVersion: before.stable === input.version ? before.previous : before.stable };
      }),
    setCanaryWeight: ({ weight, ...input }) => withTarget(input, settings, (target) => target.setCanaryWeight(input.version, weight)),
    promote: (input) => withTarget(input, settings, (target) => target.promote(input.version)),
    retirePrevious: (input) => withTarget(input, settings, (target) => target.retirePrevious(input.version)),
    rollback: (input) => withTarget(input, settings, (target) => target.rollback(input.version)),
    analyze,
    // While it stabilizes, the promoted version is the stable one: judged the same way.
    checkHealth: analyze,
  };
}

/**
 * Builds the environment's target for one call, heartbeating while it runs (also used by verify).
 * The input is checked first: a field out of bounds is refused for good, naming it, before any
 * process, cluster or checkout is touched.
 */
export async function withTarget<T>(raw: TargetInput, settings: TargetSettings, work: (target: Target, context: Context) => Promise<T>): Promise<T> {
  const context = Context.current();
  const input = parseActivityInput(targetInputSchema, raw, context.info.activityType);
  const heartbeat = (detail?: unknown) => context.heartbeat(detail);
  const signal = context.cancellationSignal;
  const target =
    input.target.kind === 'local'
      ? localTarget(input.target, { ...input, stateDir: settings.stateDir, signal, heartbeat })
      : kubernetes().kubernetesTarget(input.target, input.strategy, { signal, heartbeat }, input);
  const beat = setInterval(() => heartbeat({ environment: input.environment, version: input.version }), HEARTBEAT_EVERY_MS);
  try {
    return await work(target, context);
  } finally {
    clearInterval(beat);
  }
}
