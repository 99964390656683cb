import type { z } from 'zod';

/** `['environments', 2, 'strategy', 'steps', 1]` → `environments[2].strategy.steps[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
}

/** One line per problem, each naming where it is, so a user can fix them all in one go. */
export function describeIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const where = formatPath([...(prefix ? [prefix] : []), ...issue.path]);
    return where ? `${where}: ${issue.message}` : issue.message;
  });
}

/** Bad input from a user (config file, CLI flag, signal payload): never worth a retry. */
export class InvalidInputError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidInputError';
  }
}
