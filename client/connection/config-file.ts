// Temporal's client config file (TOML, profiles), found where the Temporal CLI and SDKs find it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../../common/problems';

export interface ConfigFile {
  /** Where it is, for errors. */
  path: string;
  /** How the user named it, for errors: `TEMPORAL_CONFIG_FILE` or the default location. */
  namedBy: string;
  /** Its text; undefined when the default file does not exist (that is fine: no profiles). */
  text?: string;
}

const MAX_CONFIG_FILE_BYTES = 1_000_000;

/** The default location, as @temporalio/envconfig and the Temporal CLI compute it. */
export function defaultConfigFilePath(env: Record<string, string | undefined>, platform: NodeJS.Platform = os.platform()): string | undefined {
  if (platform === 'win32') return env.APPDATA ? path.join(env.APPDATA, 'temporalio', 'temporal.toml') : undefined;
  if (platform === 'darwin') return env.HOME ? path.join(env.HOME, 'Library', 'Application Support', 'temporalio', 'temporal.toml') : undefined;
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg) return path.isAbsolute(xdg) ? path.join(xdg, 'temporalio', 'temporal.toml') : undefined;
  return env.HOME ? path.join(env.HOME, '.config', 'temporalio', 'temporal.toml') : undefined;
}

/**
 * Reads the config file. One named by TEMPORAL_CONFIG_FILE must exist (the SDK would quietly
 * ignore it: a typo would then connect somewhere else); the default one may be absent.
 */
export function readConfigFile(env: Record<string, string | undefined>): ConfigFile | undefined {
  const named = env.TEMPORAL_CONFIG_FILE;
  const file = named ?? defaultConfigFilePath(env);
  if (file === undefined) return undefined;
  const namedBy = named !== undefined ? 'TEMPORAL_CONFIG_FILE' : 'the default Temporal config file';
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_CONFIG_FILE_BYTES) throw new InvalidInputError('the Temporal connection settings', [`${namedBy} ${file}: larger than ${MAX_CONFIG_FILE_BYTES} bytes`]);
    return { path: file, namedBy, text: fs.readFileSync(file, 'utf8') };
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && named === undefined) return { path: file, namedBy };
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable' : code === 'EISDIR' ? 'a folder, not a file' : (code ?? 'cannot be read');
    throw new InvalidInputError('the Temporal connection settings', [`${namedBy}: ${file}: ${why}`]);
  }
}
