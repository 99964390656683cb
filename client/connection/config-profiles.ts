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

/** Parses the file's text; `where` names it in errors. Never quotes the file's content. */
export function parseProfiles(toml: string, where: string): Profiles {
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
