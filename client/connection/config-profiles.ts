// The profiles of a Temporal config file, checked before the SDK reads them: the SDK would crash
// on a file without a [profile] table, and a TOML error would echo the line (an api_key, say).
import { parse, TomlError } from 'smol-toml';
import { z } from 'zod';
import { describeIssues, InvalidInputError } from '../../common/problems';

const text = (max: number) => z.string().max(max);
const tlsSchema = z.object({
  disabled: z.boolean().optional(),
  client_cert_path: text(4096).optional(),
  client_cert_data: text(100_000).optional(),
  client_key_path: text(4096).optional(),
  client_key_data: text(100_000).optional(),
  server_ca_cert_path: text(4096).optional(),
  server_ca_cert_data: text(100_000).optional(),
  server_name: text(1000).optional(),
});
const profileSchema = z.object({
  address: text(1000).optional(),
  namespace: text(255).optional(),
  api_key: text(10_000).optional(),
  tls: tlsSchema.optional(),
  grpc_meta: z
    .record(text(200), text(10_000))
    .refine((m) => Object.keys(m).length <= 50, 'at most 50 entries')
    .optional(),
});
const configSchema = z.object({
  profile: z
    .record(text(200), profileSchema)
    .refine((p) => Object.keys(p).length <= 200, 'at most 200 profiles')
    .optional(),
});

export type Profiles = Record<string, z.output<typeof profileSchema>>;

/** Keys Temporal's tools know and Ferry does not use: no note for them. */
const TEMPORAL_ONLY_KEYS = { profile: ['codec'], tls: ['disable_host_verification'] } as const;

const keysOf = (schema: z.ZodObject) => Object.keys(schema.shape);
const MAX_UNKNOWN_KEYS = 20;

/**
 * The keys of the file that Ferry (and the SDK) would drop without a word, dotted (a typo such as
 * `adress` would connect elsewhere): the Temporal CLI and SDKs ignore them too, so they are noted,
 * not refused. Names only: a value may be a secret.
 */
function unknownKeys(document: Record<string, unknown>): string[] {
  const table = (value: unknown): Record<string, unknown> | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
  const found = Object.keys(document).filter((key) => !keysOf(configSchema).includes(key));
  for (const [name, profile] of Object.entries(table(document.profile) ?? {})) {
    const known = [...keysOf(profileSchema), ...TEMPORAL_ONLY_KEYS.profile];
    found.push(
      ...Object.keys(table(profile) ?? {})
        .filter((key) => !known.includes(key))
        .map((key) => `profile.${name}.${key}`),
    );
    const tls = table(table(profile)?.tls) ?? {};
    found.push(
      ...Object.keys(tls)
        .filter((key) => ![...keysOf(tlsSchema), ...TEMPORAL_ONLY_KEYS.tls].includes(key))
        .map((key) => `profile.${name}.tls.${key}`),
    );
  }
  return found.slice(0, MAX_UNKNOWN_KEYS).map((key) => JSON.stringify(key).slice(1, -1).slice(0, 200));
}

/**
 * Parses the file's text; `where` names it in errors and in the notes on unknown keys (`note`).
 * Never quotes the file's content.
 */
export function parseProfiles(toml: string, where: string, note: (key: string, line: string) => void): Profiles {
  let document: unknown;
  try {
    document = parse(toml);
  } catch (error) {
    const at = error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : '';
    // Only the first line of the message: the rest shows the file's lines, which may hold a secret.
    const why = String((error as Error).message)
      .split('\n')[0]
      .replace(/^Invalid TOML document: /, '');
    throw new InvalidInputError('the Temporal connection settings', [`${where}: not valid TOML${at}: ${why}`]);
  }
  for (const key of unknownKeys(document as Record<string, unknown>)) note(`${where}:${key}`, `ferry: ${where}: unknown key ${key}, ignored`);
  const parsed = configSchema.safeParse(document);
  if (!parsed.success) {
    // Issue messages name the path and the rule, not the value.
    throw new InvalidInputError(
      'the Temporal connection settings',
      describeIssues(parsed.error).map((problem) => `${where}: ${problem}`),
    );
  }
  return parsed.data.profile ?? {};
}
