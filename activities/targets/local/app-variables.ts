// A version's own environment on the local target: the config's variables, its secrets read
// from this worker's variables by name, and a masker for what the app prints of them.
import type { AppEnvironment } from '../../../common/app-environment';
import { readAppSecrets } from '../../app-secrets';
import type { Masker } from '../../secret-masking';

/** `requireAll: false` skips secrets this worker lacks (to mask output, where a missing one cannot appear). */
export function appVariables(app: AppEnvironment | undefined, options: { worker?: NodeJS.ProcessEnv; requireAll?: boolean } = {}): { env: Record<string, string>; mask: Masker } {
  const secrets = readAppSecrets(app, options);
  return { env: { ...app?.variables, ...secrets.values }, mask: secrets.mask };
}
