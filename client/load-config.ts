import fs from 'node:fs';
import path from 'node:path';
import type { FerryConfig } from '../common/config-schema';
import { parseConfig } from '../common/parse-config';
import { checkPlanSize } from '../common/plan';
import { InvalidInputError } from '../common/problems';
import { isRemote } from '../common/url-credentials';

/**
 * Reads and validates a ferry.config.yaml; a local `repo` is relative to the file's folder. A file
 * whose promotions would be too large for Temporal is refused here, naming the file, before any
 * workflow starts.
 */
export function loadConfig(file: string): FerryConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(file, [`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  const config = parseConfig(text, file);
  if (!isRemote(config.repo)) config.repo = path.resolve(path.dirname(file), config.repo);
  checkPlanSize(config, file);
  return config;
}
