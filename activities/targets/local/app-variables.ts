// A version's own environment on the local target: the config's variables, its secrets read
// from this worker's variables by name, and a masker for what the app prints of them.
import { ApplicationFailure } from '@temporalio/common';
import type { AppEnvironment } from '../../../common/app-environment';
import { FailureType } from '../../../common/errors';
import { createMasker, type Masker } from '../../secret-masking';

/** `requireAll: false` skips secrets this worker lacks (to mask output, where a missing one cannot appear). */
export function appVariables(
  app: AppEnvironment | undefined,
  { worker = process.env, requireAll = true }: { worker?: NodeJS.ProcessEnv; requireAll?: boolean } = {},
): { env: Record<string, string>; mask: Masker } {
  const secrets = new Map<string, string>();
  const env: Record<string, string> = { ...app?.variables };
  for (const [variable, workerVariable] of Object.entries(app?.secrets ?? {})) {
    const value = worker[workerVariable];
    if (value === undefined) {
      if (!requireAll) continue;
      // Retrying on the same worker cannot make it appear.
      throw ApplicationFailure.nonRetryable(
        `the app's ${variable} comes from the worker variable ${workerVariable}, which is not set on this worker`,
        FailureType.InvalidInput,
      );
    }
    env[variable] = value;
    secrets.set(workerVariable, value);
  }
  return { env, mask: createMasker(secrets) };
}
