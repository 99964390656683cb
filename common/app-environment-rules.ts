// The config's refusals for what an environment hands its app (app-environment.ts), each with its path.
import { RESERVED_APP_VARIABLES } from './app-environment';

export interface AppEnvironmentIssue {
  path: (string | number)[];
  message: string;
}

interface EnvironmentShape {
  target?: { kind?: unknown; manifests?: unknown };
  variables?: unknown;
  secrets?: unknown;
  database?: { appEnv?: unknown } | null;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

const keysOf = (value: unknown): string[] => (typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : []);

export function appEnvironmentIssues(env: EnvironmentShape): AppEnvironmentIssue[] {
  const issues: AppEnvironmentIssue[] = [];
  /** Variable → what sets it, as the error names it. */
  const seen = new Map<string, string>();
  if (env.database) {
    const appEnv = env.database.appEnv;
    seen.set(typeof appEnv === 'string' ? appEnv : 'DATABASE_URL', 'the database URL (database.appEnv)');
  }
  for (const field of ['variables', 'secrets'] as const) {
    const keys = keysOf(env[field]);
    if (keys.length > 0 && env.target?.kind === 'kubernetes' && env.target.manifests === undefined) {
      issues.push({ path: [field], message: 'reach a Kubernetes app through its manifests only: set target.manifests (image mode sets nothing but the image)' });
    }
    for (const key of keys) {
      const path = [field, key];
      const shown = key.slice(0, 128);
      if (!VARIABLE.test(key)) issues.push({ path, message: `"${shown}" is not the name of an environment variable` });
      else if ((RESERVED_APP_VARIABLES as readonly string[]).includes(key)) issues.push({ path, message: `${key} is set by Ferry for every version` });
      else if (seen.has(key)) issues.push({ path, message: `${key} is already set by ${seen.get(key)}` });
      seen.set(key, path.join('.'));
    }
  }
  return issues;
}
