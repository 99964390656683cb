import type { SourceRef, TargetInput } from '../common/activity-contracts';
import { appEnvironmentOf } from '../common/app-environment';
import type { EnvironmentPlan } from '../common/plan';

/** What the target activities get for `artifact` in `env`: the same for the promotion's checks and the stage's calls. */
export function targetInputOf(app: string, env: EnvironmentPlan, artifact: string, source: SourceRef): TargetInput {
  return {
    app,
    environment: env.name,
    target: env.target,
    strategy: env.strategy.kind,
    version: artifact,
    source,
    appEnvironment: appEnvironmentOf(env),
  };
}
