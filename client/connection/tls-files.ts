// The TLS parts a connection names (client certificate, its key, the server's CA), each as a file
// or as data, checked before the SDK reads them and before anything starts: the SDK would say
// "Cannot specify both…" or OpenSSL "no start line" without naming what the user set. Errors name
// the variable or the profile's key, and the file; never the content.
import fs from 'node:fs';
import { InvalidInputError } from '../../common/problems';

const PARTS = [
  { name: 'client_cert', variable: 'TEMPORAL_TLS_CLIENT_CERT' },
  { name: 'client_key', variable: 'TEMPORAL_TLS_CLIENT_KEY' },
  { name: 'server_ca_cert', variable: 'TEMPORAL_TLS_SERVER_CA_CERT' },
] as const;
type Part = (typeof PARTS)[number];
type Kind = 'path' | 'data';

/** The `tls` table of a profile, as the config file holds it. */
export type ProfileTls = Partial<Record<`${Part['name']}_${Kind}`, string>> | undefined;

/** What OpenSSL looks for in a PEM file (text before it, such as openssl's "Bag Attributes", is fine). */
const PEM_BEGIN = '-----BEGIN ';
const MAX_PEM_BYTES = 1_000_000;

/**
 * `env` holds the variables after the legacy names were copied; `setBy` the legacy name that
 * filled one; `tls` the profile's table and `profile` its name for errors. The variables win
 * over the profile field by field, as in the SDK.
 */
export function checkTlsSources(tls: ProfileTls, env: Record<string, string | undefined>, setBy: Record<string, string>, profile: string): void {
  const named = (part: Part, kind: Kind) => {
    const variable = `${part.variable}_${kind.toUpperCase()}`;
    return env[variable] !== undefined ? (setBy[variable] ?? variable) : `tls.${part.name}_${kind} of ${profile}`;
  };
  const value = (part: Part, kind: Kind) => env[`${part.variable}_${kind.toUpperCase()}`] ?? tls?.[`${part.name}_${kind}`];
  const problems: string[] = [];
  const given = new Map<Part, Kind>();
  for (const part of PARTS) {
    const [file, data] = [value(part, 'path'), value(part, 'data')];
    if (file !== undefined && data !== undefined) {
      problems.push(`${named(part, 'path')} and ${named(part, 'data')}: set one, not both`);
      continue;
    }
    if (file !== undefined) {
      given.set(part, 'path');
      const problem = fileProblem(file);
      if (problem) problems.push(`${named(part, 'path')}: ${file}: ${problem}`);
    } else if (data !== undefined) {
      given.set(part, 'data');
      if (!data.includes(PEM_BEGIN)) problems.push(`${named(part, 'data')}: not PEM (no ${PEM_BEGIN.trim()} line)`);
    }
  }
  const [cert, key] = [given.get(PARTS[0]), given.get(PARTS[1])];
  if (!!cert !== !!key) {
    const [has, lacks] = cert ? [PARTS[0], PARTS[1]] : [PARTS[1], PARTS[0]];
    const hasName = named(has, (cert ?? key)!);
    const lacksName = hasName.startsWith('tls.') ? `tls.${lacks.name}_path or tls.${lacks.name}_data` : `${lacks.variable}_PATH or ${lacks.variable}_DATA`;
    problems.push(`${hasName} needs ${lacksName}: a client certificate and its key go together`);
  }
  if (problems.length > 0) throw new InvalidInputError('the Temporal connection settings', problems);
}

function fileProblem(file: string): string | undefined {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    const stat = fs.statSync(file);
    if (!stat.isFile()) return 'is not a file';
    if (stat.size > MAX_PEM_BYTES) return `larger than ${MAX_PEM_BYTES} bytes`;
    if (!fs.readFileSync(file, 'latin1').includes(PEM_BEGIN)) return `not PEM (no ${PEM_BEGIN.trim()} line; a DER file converts with openssl x509 -inform der)`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable' : code;
  }
}
