// What a version's secrets were when it started, without their values: a keyed hash of each. A
// version's log is masked with the worker's values as they are now; once one of them changed or
// is gone, the masker no longer knows what the version printed, so its log must not be quoted.
import { createHmac, randomBytes } from 'node:crypto';
import type { AppEnvironment } from '../../../common/app-environment';

export interface SecretFingerprints {
  /** Random for each start: equal secrets of two versions, or of two files, do not look equal. */
  salt: string;
  /** The app's variable name → HMAC-SHA256 of its value under the salt. */
  values: Record<string, string>;
}

const fingerprint = (salt: string, name: string, value: string) => createHmac('sha256', Buffer.from(salt, 'hex')).update(`${name}\0${value}`).digest('hex');

/** The fingerprints of the secrets `app` gets from `worker`'s variables; those it lacks are left out. */
export function fingerprintSecrets(app: AppEnvironment | undefined, worker: NodeJS.ProcessEnv = process.env): SecretFingerprints {
  const salt = randomBytes(16).toString('hex');
  const values: Record<string, string> = {};
  for (const [name, workerVariable] of Object.entries(app?.secrets ?? {})) {
    const value = worker[workerVariable];
    if (value !== undefined) values[name] = fingerprint(salt, name, value);
  }
  return { salt, values };
}

/**
 * The app's secrets whose value on `worker` is not what the version was started with (changed,
 * or no longer set), sorted. A version recorded before fingerprints were kept has none: the best
 * that can be said of it is whether each secret is still set, so only those gone are named.
 */
export function secretsChangedSince(app: AppEnvironment | undefined, recorded: SecretFingerprints | undefined, worker: NodeJS.ProcessEnv = process.env): string[] {
  const changed = Object.entries(app?.secrets ?? {}).filter(([name, workerVariable]) => {
    const value = worker[workerVariable];
    if (value === undefined) return true;
    if (!recorded) return false;
    const then = recorded.values[name];
    return then === undefined || then !== fingerprint(recorded.salt, name, value);
  });
  return changed.map(([name]) => name).sort();
}
