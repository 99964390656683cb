import type { EnvironmentPlan, PromotionPlan } from './plan';

const NAMES_A_VARIABLE = /Env$/;
/**
 * `passEnv` lets a command see a variable; it does not make it a secret (`CI=true` would mask
 * every "true" in a build log). The command's masker still covers those whose names look secret.
 */
const NOT_SECRET: ReadonlySet<string> = new Set(['passEnv']);
/** An environment's `secrets` maps the app's variables to worker variables: its values are names too. */
const NAMES_VARIABLES: ReadonlySet<string> = new Set(['secrets']);

/**
 * Every worker variable the config names as a credential (`urlEnv`, `webhookEnv`, `headersEnv`,
 * `repoCredentialsEnv`, …): the values a command's output is masked for. Found by the config's
 * naming rule rather than listed field by field, so a field added later cannot be forgotten here.
 */
export function secretVariableNames(plan: PromotionPlan | EnvironmentPlan): string[] {
  const names = new Set<string>();
  const collect = (value: unknown, named: boolean): void => {
    if (typeof value === 'string') {
      if (named) names.add(value);
    } else if (Array.isArray(value)) {
      value.forEach((item) => collect(item, named));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (!NOT_SECRET.has(key)) collect(inner, named || NAMES_A_VARIABLE.test(key) || NAMES_VARIABLES.has(key));
      }
    }
  };
  collect(plan, false);
  return [...names].sort();
}
