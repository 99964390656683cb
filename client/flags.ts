// Flags are a boundary like any other: checked with zod, and a problem names the flag.
import { z } from 'zod';
import { InvalidInputError } from '../common/problems';
import { CliExit, ExitCode } from './exit-codes';

/** Parses commander's options; `names` maps schema keys to how the user typed them (--env, --as). */
export function parseFlags<S extends z.ZodType>(schema: S, options: unknown, names: Record<string, string> = {}): z.output<S> {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const flag = names[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    return `${flag}: ${issue.message}`;
  });
  throw new CliExit(ExitCode.BadInput, `bad flags:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** Turns Ferry's own input errors into exit code 2 with every problem listed. */
export function asBadInput(error: unknown): never {
  if (error instanceof InvalidInputError) throw new CliExit(ExitCode.BadInput, error.message);
  throw error;
}
