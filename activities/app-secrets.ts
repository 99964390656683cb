// An environment's secrets as its app gets them, whichever target runs it: read from this
// worker's variables by name (never from workflow history), and a masker for every form of them.
import { ApplicationFailure } from '@temporalio/common';
import type { AppEnvironment } from '../common/app-environment';
import { FailureType } from '../common/errors';
import { createMasker, type Masker } from './secret-masking';
import { variableName } from './shell-script';

const invalid = (message: string) => ApplicationFailure.nonRetryable(message, FailureType.InvalidInput);

/** A name the app may get as an environment variable; anything else is refused naming the field. */
export function checkVariableName(field: string, name: string): void {
  if (!variableName.safeParse(name).success) throw invalid(`${field}: "${name.slice(0, 128)}" is not the name of an environment variable`);
}

/**
 * The app's variable name → its value, for every secret of `app`. A secret this worker lacks is a
 * non-retryable InvalidInput naming the field (retrying on the same worker cannot make it appear);
 * `requireAll: false` skips it instead (to mask output, where a missing one cannot appear).
 */
export function readAppSecrets(
  app: AppEnvironment | undefined,
  { worker = process.env, requireAll = true }: { worker?: NodeJS.ProcessEnv; requireAll?: boolean } = {},
): { values: Record<string, string>; mask: Masker } {
  const values: Record<string, string> = {};
  const byWorkerVariable = new Map<string, string>();
  for (const [key, workerVariable] of Object.entries(app?.secrets ?? {})) {
    checkVariableName('secrets', key);
    const value = worker[workerVariable];
    if (value === undefined) {
      if (!requireAll) continue;
      throw invalid(`secrets.${key}: the app's ${key} comes from the worker variable ${workerVariable} (or, for the database URL, database.urlEnv), which is not set on this worker`);
    }
    values[key] = value;
    byWorkerVariable.set(workerVariable, value);
  }
  return { values, mask: createMasker(byWorkerVariable) };
}
