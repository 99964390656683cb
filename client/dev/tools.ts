// The Temporal CLI and friends, put in .tools/ by scripts/bootstrap-tools.js on first use.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** The checkout: the folder with package.json above this file, whether it runs from sources or dist/. */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
const MANIFEST = path.join(PROJECT_ROOT, '.tools', 'tools.json');

const toolsSchema = z.object({ temporal: z.string(), testServer: z.string(), prometheus: z.string().nullable().optional() });

/** Bootstraps the tools when they are missing (idempotent and fast when they are there). */
export function ensureTools(): z.infer<typeof toolsSchema> {
  execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'scripts', 'bootstrap-tools.js')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return toolsSchema.parse(JSON.parse(fs.readFileSync(MANIFEST, 'utf8')));
}
