// `ferry retry` reuses the earlier run's plan (the same build, the same checks), but who may
// promote what is the config's rule as it is now: `from` and `after` added, changed or dropped
// since the earlier run apply to the retry, and ferry start's early check and the workflow's
// policy step see them.
import type { FerryConfig } from '../common/config-schema';
import type { PromotionPlan } from '../common/plan';
import { CliExit, ExitCode } from './exit-codes';

/** `plan` with the refs policy of `config` (read from `configPath`) on every environment the retry enters. */
export function withCurrentPolicy(plan: PromotionPlan, config: FerryConfig, configPath: string): PromotionPlan {
  if (config.app !== plan.app) {
    throw new CliExit(ExitCode.BadInput, `${configPath} is the config of ${config.app}, not ${plan.app}: ferry retry applies the refs policy (from, after) of the config it is given`);
  }
  const environments = plan.environments.map((env) => {
    if (env.skip) return env; // not entered: nothing to check
    const now = config.environments.find((e) => e.name === env.name);
    if (!now) {
      throw new CliExit(
        ExitCode.BadInput,
        `${configPath} has no environment ${env.name}, which the retry of ${plan.app} would enter: its refs policy (from, after) is unknown; start the commit again with ferry start`,
      );
    }
    const { from: _from, after: _after, ...rest } = env;
    return { ...rest, ...(now.from ? { from: now.from } : {}), ...(now.after !== undefined ? { after: now.after } : {}) };
  });
  return { ...plan, environments };
}
