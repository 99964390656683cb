import fs from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export interface ToolPaths {
  temporal: string;
  testServer: string;
  /** Optional: null (or absent, in a manifest older than it) when it could not be obtained; only Prometheus tests need it. */
  prometheus?: string | null;
  /** Optional like Prometheus: the OpenTelemetry collector built from scripts/otel-collector, for the tracing tests. */
  otelcol?: string | null;
}

/** Paths written by scripts/bootstrap-tools.js, which `npm test` runs first. */
export function toolPaths(): ToolPaths {
  const manifest = path.join(REPO_ROOT, '.tools/tools.json');
  if (!fs.existsSync(manifest)) throw new Error(`${manifest} is missing: run \`npm run tools\` (npm test does it for you)`);
  return JSON.parse(fs.readFileSync(manifest, 'utf8'));
}
