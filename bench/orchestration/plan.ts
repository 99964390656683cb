// The promotion both kinds run: the sample 3-environment plan (dev rolling, staging canary,
// production canary with backup and approval), its waits cut to seconds so a round is seconds.
import { samplePlan } from '../../test/helpers/fixtures';
import type { PromotionPlan } from '../../common/plan';

/** The same for Ferry and bare: what differs between them must be the orchestration only. */
export const STABILIZE_MS = 2_000;
export const HEALTH_CHECK_MS = 1_000;
export const CANARY_PAUSE_MS = 1_000;
/** The environment the approval figures are about, and who approves it (on its allow-list, not the author). */
export const APPROVED_ENVIRONMENT = 'production';
export const APPROVER = 'olivia';

export function benchPlan(app: string): PromotionPlan {
  return samplePlan((config) => {
    config.app = app;
    config.environments = config.environments.map((env) => ({
      ...env,
      stabilize: STABILIZE_MS,
      healthCheckInterval: HEALTH_CHECK_MS,
      ...(env.strategy.kind === 'canary' ? { strategy: { ...env.strategy, pause: CANARY_PAUSE_MS } } : {}),
    }));
  });
}
