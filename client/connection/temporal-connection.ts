// Where Ferry connects to Temporal, read as Temporal's own tools read it (@temporalio/envconfig):
// the TEMPORAL_* variables and the profiles of the TOML config file, under the CLI's flags.
// Precedence: flag > variable > profile > default. The CLI and the worker both use this; it lives
// in client/ because DESIGN.md lets the CLI import only common/ and client libraries, while the
// worker may import anything, and common/ may do no I/O (this reads files).
import type { ConnectionOptions } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import { InvalidInputError } from '../../common/problems';
import { readConfigFile } from './config-file';
import { parseProfiles } from './config-profiles';
import { checkTlsFiles } from './tls-files';
import { LEGACY_TLS_VARIABLES, takeLegacyTlsVariables, type Note } from './legacy-tls-variables';

export { noteOnceOnStderr, type Note } from './legacy-tls-variables';

/** The global flags `--address`, `--namespace` and `--profile`, named as the Temporal CLI names them. */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  profile?: string;
  /** Ignore the variables and the config file: `ferry dev` connects its worker to the server it started. */
  localOnly?: boolean;
}

export interface TemporalConnection {
  address: string;
  namespace: string;
  tls?: ConnectionOptions['tls'];
  apiKey?: string;
  metadata?: ConnectionOptions['metadata'];
  /** The profile in use, when a config file gave one. */
  profile?: string;
}

/** Every variable read here, for the checks that a deployment gives the worker only what it reads. */
export const CONNECTION_ENV_VARS: readonly string[] = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  ...Object.keys(LEGACY_TLS_VARIABLES),
];

export const DEFAULT_ADDRESS = 'localhost:7233';
export const DEFAULT_NAMESPACE = 'default';
const MAX_ADDRESS = 1000;
const MAX_NAMESPACE = 255;
const SETTINGS = 'the Temporal connection settings';

/** Builds the connection options, checked (files exist, the profile exists) before anything starts. */
export function temporalConnection(env: NodeJS.ProcessEnv, flags: ConnectionFlags = {}, note?: Note): TemporalConnection {
  if (flags.localOnly) return withFlags({ address: DEFAULT_ADDRESS, namespace: DEFAULT_NAMESPACE }, flags, {});
  const { env: given, setBy } = takeLegacyTlsVariables(nonEmpty(env), note);
  const file = readConfigFile(given);
  const profiles = file?.text !== undefined ? parseProfiles(file.text, `${file.namedBy} ${file.path}`) : {};
  const requested = flags.profile ?? given.TEMPORAL_PROFILE;
  if (requested !== undefined && !(requested in profiles)) {
    const by = flags.profile !== undefined ? '--profile' : 'TEMPORAL_PROFILE';
    const where = file?.text !== undefined ? `${file.namedBy} ${file.path}` : `${file?.namedBy ?? 'the default Temporal config file'}${file ? ` ${file.path}` : ''}, which does not exist`;
    const known = Object.keys(profiles);
    throw new InvalidInputError(SETTINGS, [`${by}: no profile '${requested}' in ${where}${known.length > 0 ? ` (it has: ${known.join(', ')})` : ''}`]);
  }
  const hasProfiles = Object.keys(profiles).length > 0;
  // The SDK applies the variables over the profile; the file was read and checked above.
  const profile: ClientConfigProfile = loadClientConfigProfile({
    profile: requested,
    ...(hasProfiles ? { configSource: { data: file!.text! } } : { disableFile: true }),
    overrideEnvVars: given as Record<string, string>,
  });
  const profileName = hasProfiles && (requested ?? 'default') in profiles ? (requested ?? 'default') : undefined;
  checkTlsFiles(profile.tls, given, setBy, profileName && file ? `profile '${profileName}' in ${file.path}` : 'the profile');
  let options;
  try {
    options = toClientOptions(profile);
  } catch (error) {
    throw new InvalidInputError(SETTINGS, [`TLS files: ${(error as Error).message}`]);
  }
  return withFlags(
    {
      address: options.connectionOptions.address ?? DEFAULT_ADDRESS,
      namespace: options.namespace ?? DEFAULT_NAMESPACE,
      tls: options.connectionOptions.tls,
      apiKey: options.connectionOptions.apiKey,
      metadata: options.connectionOptions.metadata,
      profile: profileName,
    },
    flags,
    given,
  );
}

function withFlags(settings: TemporalConnection, flags: ConnectionFlags, given: Record<string, string | undefined>): TemporalConnection {
  const merged = { ...settings, address: flags.address ?? settings.address, namespace: flags.namespace ?? settings.namespace };
  const problems: string[] = [];
  const source = (flag: string, variable: string) => (flags[flag as 'address'] !== undefined ? `--${flag}` : given[variable] !== undefined ? variable : `${flag} of the profile`);
  if (!merged.address.trim() || merged.address.length > MAX_ADDRESS) problems.push(`${source('address', 'TEMPORAL_ADDRESS')}: must be host:port, at most ${MAX_ADDRESS} characters`);
  if (!merged.namespace.trim() || merged.namespace.length > MAX_NAMESPACE) problems.push(`${source('namespace', 'TEMPORAL_NAMESPACE')}: must be a namespace name, at most ${MAX_NAMESPACE} characters`);
  if (problems.length > 0) throw new InvalidInputError(SETTINGS, problems);
  return merged;
}

/** An empty variable counts as unset: CI systems pass secrets nobody set as "". */
function nonEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}
