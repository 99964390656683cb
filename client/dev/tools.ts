// The Temporal CLI and friends, put in .tools/ by scripts/bootstrap-tools.js on first use.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const MANIFEST = path.join(PROJECT_ROOT, '.tools', 'tools.json');

const toolsSchema = z.object({ temporal: z.string(), testServer: z.string(), prometheus: z.string().nullable().optional() });

/** Bootstraps the tools when they are missing (idempotent and fast when they are there). */
export function ensureTools(): z.infer<typeof toolsSchema> {
  execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'scripts', 'bootstrap-tools.js')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return toolsSchema.parse(JSON.parse(fs.readFileSync(MANIFEST, 'utf8')));
}
