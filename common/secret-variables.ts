import type { PromotionPlan } from './plan';

const NAMES_A_VARIABLE = /Env$/;

/**
 * Every worker variable the config names (`urlEnv`, `webhookEnv`, `headersEnv`, `passEnv`, …):
 * the values a command's output is masked for. Found by the config's naming rule rather than
 * listed field by field, so a field added later cannot be forgotten here.
 */
export function secretVariableNames(plan: PromotionPlan): string[] {
  const names = new Set<string>();
  const collect = (value: unknown, named: boolean): void => {
    if (typeof value === 'string') {
      if (named) names.add(value);
    } else if (Array.isArray(value)) {
      value.forEach((item) => collect(item, named));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) collect(inner, named || NAMES_A_VARIABLE.test(key));
    }
  };
  collect(plan, false);
  return [...names].sort();
}
