// The config's refusals for verify commands beyond their own fields, each with its path.
import { placeholdersIn } from './check-placeholders';

export interface VerifyIssue {
  path: (string | number)[];
  message: string;
}

interface EnvironmentShape {
  target?: { kind?: unknown; url?: unknown; service?: unknown } | null;
  strategy?: { kind?: unknown } | null;
  verify?: unknown;
}

const ROLE_OF_STRATEGY: Record<string, string> = { canary: 'canary', 'blue-green': 'preview' };

/**
 * Verify commands get the address of exactly the version under test (FERRY_URL): a Kubernetes
 * target knows one only through `url`, and while that version runs beside the stable one (a
 * canary step, blue-green's new colour) only through `{service}`, which needs `service`.
 * Refused here, before a promotion deploys anything.
 */
export function verifyIssues(env: EnvironmentShape): VerifyIssue[] {
  const verify = Array.isArray(env.verify) ? (env.verify as { afterEachCanaryStep?: unknown }[]) : [];
  const target = env.target;
  if (verify.length === 0 || target?.kind !== 'kubernetes') return [];
  if (typeof target.url !== 'string') {
    return [{ path: ['target', 'url'], message: 'is needed by verify: its commands get the address of the version under test as FERRY_URL' }];
  }
  const kind = String(env.strategy?.kind);
  const beside = kind === 'blue-green' || (kind === 'canary' && verify.some((v) => v?.afterEachCanaryStep === true));
  if (!beside) return [];
  const role = ROLE_OF_STRATEGY[kind];
  const issues: VerifyIssue[] = [];
  if (!placeholdersIn(target.url).includes('service')) {
    issues.push({
      path: ['target', 'url'],
      message: `has no {service}: verify during a ${kind} step would reach the stable version too. Write the address with {service}: Ferry fills in <service>-${role} (the version under test alone)`,
    });
  }
  if (typeof target.service !== 'string') {
    issues.push({ path: ['target', 'service'], message: `is needed by verify during a ${kind} step: Ferry makes <service>-${role} to reach the version under test alone` });
  }
  return issues;
}
