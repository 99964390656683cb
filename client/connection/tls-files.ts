// The TLS files a connection names must be there before anything starts; the error names the
// variable or the profile's key that named a file, never the file's content.
import fs from 'node:fs';
import type { ClientConfigTLS, ConfigDataSource } from '@temporalio/envconfig';
import { InvalidInputError } from '../../common/problems';

const PARTS = [
  { key: 'clientCert', variable: 'TEMPORAL_TLS_CLIENT_CERT_PATH', field: 'tls.client_cert_path' },
  { key: 'clientKey', variable: 'TEMPORAL_TLS_CLIENT_KEY_PATH', field: 'tls.client_key_path' },
  { key: 'serverCACert', variable: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', field: 'tls.server_ca_cert_path' },
] as const;

/**
 * `env` holds the variables after the legacy names were copied; `setBy` the legacy name that
 * filled one; `profile` names the profile for a path that came from the file.
 */
export function checkTlsFiles(tls: ClientConfigTLS | undefined, env: Record<string, string | undefined>, setBy: Record<string, string>, profile: string): void {
  if (!tls) return;
  const named = (part: (typeof PARTS)[number], source: ConfigDataSource) =>
    'path' in source && env[part.variable] === source.path ? (setBy[part.variable] ?? part.variable) : `${part.field} of ${profile}`;
  const problems: string[] = [];
  for (const part of PARTS) {
    const source = tls[part.key];
    if (!source || !('path' in source)) continue;
    try {
      fs.accessSync(source.path, fs.constants.R_OK);
      if (!fs.statSync(source.path).isFile()) problems.push(`${named(part, source)}: ${source.path} is not a file`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`${named(part, source)}: ${source.path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable' : code}`);
    }
  }
  const [cert, key] = [tls.clientCert, tls.clientKey];
  if (!!cert !== !!key) {
    const has = PARTS[cert ? 0 : 1];
    const lacks = PARTS[cert ? 1 : 0];
    const hasName = named(has, (cert ?? key)!);
    const lacksName = hasName.startsWith('tls.') ? `${lacks.field}` : lacks.variable;
    problems.push(`${hasName} needs ${lacksName}: a client certificate and its key go together`);
  }
  if (problems.length > 0) throw new InvalidInputError('the Temporal connection settings', problems);
}
