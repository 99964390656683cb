// Where the analysis placeholders (check-placeholders.ts) may be used, and where a check would
// otherwise judge the mix of two versions: the config's own refusals, each with its path.
import { placeholdersIn } from './check-placeholders';

export interface PlaceholderIssue {
  path: (string | number)[];
  message: string;
}

/** The parts of one environment these rules read; any of them may be missing or mistyped. */
interface EnvironmentShape {
  target?: { kind?: unknown; service?: unknown; url?: unknown };
  strategy?: { kind?: unknown };
  analysis?: { http?: unknown; prometheus?: { errorRate?: unknown; p95LatencyMs?: unknown } };
}

const ROLE_OF_STRATEGY: Record<string, string> = { canary: 'canary', 'blue-green': 'preview' };

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function placeholderIssues(env: EnvironmentShape): PlaceholderIssue[] {
  const issues: PlaceholderIssue[] = [];
  const target = env.target ?? {};
  const service = target.kind === 'kubernetes' ? text(target.service) : undefined;
  const needsService = (path: PlaceholderIssue['path'], value: unknown) => {
    const used = text(value);
    if (used && placeholdersIn(used).includes('service') && !service) {
      issues.push({ path, message: 'uses {service}, which only a Kubernetes target with a service has' });
    }
  };

  const url = text(target.url);
  if (url) {
    const others = placeholdersIn(url).filter((p) => p !== 'service');
    if (others.length > 0) issues.push({ path: ['target', 'url'], message: `may use only {service}, not ${others.map((p) => `{${p}}`).join(', ')}` });
    needsService(['target', 'url'], url);
  }
  const http = Array.isArray(env.analysis?.http) ? (env.analysis.http as { url?: unknown; path?: unknown }[]) : [];
  http.forEach((check, i) => needsService(['analysis', 'http', i, 'url'], check?.url));
  for (const key of ['errorRate', 'p95LatencyMs'] as const) needsService(['analysis', 'prometheus', key], env.analysis?.prometheus?.[key]);

  // A check by path during a canary or blue-green step must reach the version under analysis alone.
  const role = ROLE_OF_STRATEGY[String(env.strategy?.kind)];
  const byPath = http.some((check) => check?.path !== undefined);
  if (target.kind === 'kubernetes' && role && byPath && url && !placeholdersIn(url).includes('service')) {
    issues.push({
      path: ['target', 'url'],
      message:
        `has no {service}: during a ${String(env.strategy?.kind)} step the checks by path would reach the stable version too. ` +
        `Write the address with {service}: Ferry fills in ${service ?? '<service>'}-${role} (the version under analysis alone), and ${service ?? '<service>'} after the switch`,
    });
  }
  if (target.kind === 'kubernetes' && role && byPath && !service) {
    issues.push({ path: ['target', 'service'], message: `is needed for checks during a ${String(env.strategy?.kind)} step: Ferry makes <service>-${role} to reach the version under analysis alone` });
  }
  return issues;
}
