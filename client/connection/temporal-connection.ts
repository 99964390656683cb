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
import { rememberSecret, redactSecrets } from './known-secrets';
import { checkTlsSources } from './tls-files';
import { LEGACY_TLS_VARIABLES, noteOnceOnStderr, takeLegacyTlsVariables, type Note } from './legacy-tls-variables';

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
  metadata?: Record<string, string>;
  /** The profile in use, when a config file gave one. */
  profile?: string;
}

/**
 * Every variable read here by name, for the checks that a deployment gives the worker only what it
 * reads; TEMPORAL_GRPC_META_<NAME> (one header each) is read by its prefix.
 */
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
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
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
export function temporalConnection(env: NodeJS.ProcessEnv, flags: ConnectionFlags = {}, note: Note = noteOnceOnStderr): TemporalConnection {
  if (flags.localOnly) return withFlags({ address: DEFAULT_ADDRESS, namespace: DEFAULT_NAMESPACE }, flags, {});
  const { env: legacyTaken, setBy } = takeLegacyTlsVariables(nonEmpty(env), note);
  const given = withBooleansChecked(legacyTaken);
  const file = readConfigFile(given);
  const profiles = file?.text !== undefined ? parseProfiles(file.text, `${file.namedBy} ${file.path}`, note) : {};
  const requested = flags.profile ?? given.TEMPORAL_PROFILE;
  if (requested !== undefined && !(requested in profiles)) {
    const by = flags.profile !== undefined ? '--profile' : 'TEMPORAL_PROFILE';
    const where = file?.text !== undefined ? `${file.namedBy} ${file.path}` : `${file?.namedBy ?? 'the default Temporal config file'}${file ? ` ${file.path}` : ''}, which does not exist`;
    const known = Object.keys(profiles);
    throw new InvalidInputError(SETTINGS, [`${by}: no profile '${requested}' in ${where}${known.length > 0 ? ` (it has: ${known.join(', ')})` : ''}`]);
  }
  const hasProfiles = Object.keys(profiles).length > 0;
  const profileName = hasProfiles && (requested ?? 'default') in profiles ? (requested ?? 'default') : undefined;
  const ofProfile = profileName && file ? `profile '${profileName}' in ${file.path}` : 'the profile';
  checkTlsSources(profileName ? profiles[profileName].tls : undefined, given, setBy, ofProfile);
  let options;
  try {
    // The SDK applies the variables over the profile; the file was read and checked above.
    const profile: ClientConfigProfile = loadClientConfigProfile({
      profile: requested,
      ...(hasProfiles ? { configSource: { data: file!.text! } } : { disableFile: true }),
      overrideEnvVars: given as Record<string, string>,
    });
    options = toClientOptions(profile);
  } catch (error) {
    throw new InvalidInputError(SETTINGS, [`TLS files: ${redactSecrets((error as Error).message)}`]);
  }
  const apiKey = options.connectionOptions.apiKey as string | undefined;
  const metadata = options.connectionOptions.metadata as Record<string, string> | undefined;
  checkHeaderValues(apiKey, metadata, given, ofProfile);
  const tls = options.connectionOptions.tls;
  rememberSecret(apiKey);
  for (const value of Object.values(metadata ?? {})) rememberSecret(value);
  if (typeof tls === 'object' && tls?.clientCertPair) rememberSecret(tls.clientCertPair.key);
  return withFlags(
    {
      address: options.connectionOptions.address ?? DEFAULT_ADDRESS,
      namespace: options.namespace ?? DEFAULT_NAMESPACE,
      tls,
      apiKey,
      metadata,
      profile: profileName,
    },
    flags,
    given,
  );
}

/** What gRPC sends as a header value; anything else it refuses with a message that quotes the value. */
const HEADER_VALUE = /^[\x20-\x7E]*$/;
const HEADER_NAME = /^[a-z0-9._-]+$/;
const GRPC_META_PREFIX = 'TEMPORAL_GRPC_META_';

/** The API key and the gRPC metadata must be sendable as headers: refused otherwise, naming where they came from, never the value. */
function checkHeaderValues(apiKey: string | undefined, metadata: Record<string, string> | undefined, given: Record<string, string>, ofProfile: string): void {
  const problems: string[] = [];
  const printable = 'must be printable ASCII (no line break, tab or other control character, no non-ASCII letter): is there a stray newline?';
  if (apiKey !== undefined && !HEADER_VALUE.test(apiKey)) problems.push(`${given.TEMPORAL_API_KEY !== undefined ? 'TEMPORAL_API_KEY' : `api_key of ${ofProfile}`}: ${printable}`);
  for (const [key, value] of Object.entries(metadata ?? {})) {
    // The SDK lower-cases the name after TEMPORAL_GRPC_META_ and turns its first _ into -.
    const variable = Object.keys(given).find((name) => name.startsWith(GRPC_META_PREFIX) && name.slice(GRPC_META_PREFIX.length).toLowerCase().replace('_', '-') === key);
    const shown = JSON.stringify(key.slice(0, 100));
    if (!HEADER_NAME.test(key)) problems.push(`${variable ?? `grpc_meta key ${shown} of ${ofProfile}`}: must be lower-case letters, digits, '.', '_' or '-' (a gRPC header name)`);
    if (!HEADER_VALUE.test(value)) problems.push(`${variable ?? `grpc_meta.${HEADER_NAME.test(key) ? key : shown} of ${ofProfile}`}: ${printable}`);
  }
  if (problems.length > 0) throw new InvalidInputError(SETTINGS, problems);
}

/**
 * TEMPORAL_TLS (and TEMPORAL_TLS_DISABLE_HOST_VERIFICATION) as true/false/1/0 in any case, handed
 * to the SDK lower-cased: the SDK takes only "1" and "true" as true, so TLS=TRUE or TLS=yes would
 * turn TLS off and send the API key in plaintext.
 */
function withBooleansChecked(given: Record<string, string>): Record<string, string> {
  const checked = { ...given };
  const problems: string[] = [];
  for (const name of ['TEMPORAL_TLS', 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION']) {
    if (checked[name] === undefined) continue;
    const value = checked[name].trim().toLowerCase();
    if (!['true', 'false', '1', '0'].includes(value)) problems.push(`${name}: must be true or false (or 1 or 0)`);
    checked[name] = value;
  }
  if (problems.length > 0) throw new InvalidInputError(SETTINGS, problems);
  return checked;
}

function withFlags(settings: TemporalConnection, flags: ConnectionFlags, given: Record<string, string | undefined>): TemporalConnection {
  const merged = { ...settings, address: flags.address ?? settings.address, namespace: flags.namespace ?? settings.namespace };
  const problems: string[] = [];
  const source = (flag: string, variable: string) => (flags[flag as 'address'] !== undefined ? `--${flag}` : given[variable] !== undefined ? variable : `${flag} of the profile`);
  if (!isHostPort(merged.address))
    problems.push(`${source('address', 'TEMPORAL_ADDRESS')}: must be host:port (a host name or IP address, a port from 1 to 65535, no scheme), at most ${MAX_ADDRESS} characters`);
  if (!merged.namespace.trim() || merged.namespace.length > MAX_NAMESPACE) problems.push(`${source('namespace', 'TEMPORAL_NAMESPACE')}: must be a namespace name, at most ${MAX_NAMESPACE} characters`);
  if (problems.length > 0) throw new InvalidInputError(SETTINGS, problems);
  return merged;
}

/** host:port as gRPC dials it: a name or IPv4 address, or an IPv6 address in brackets; no scheme. */
function isHostPort(address: string): boolean {
  const match = address.length <= MAX_ADDRESS ? /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(address) : null;
  return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65535;
}

/** An empty variable counts as unset: CI systems pass secrets nobody set as "". */
function nonEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}
