#!/usr/bin/env node
// npm run build: tsc into dist/ (or --out-dir <dir>), then the workflow bundle a worker from the
// build loads instead of bundling at start-up (worker/make-bundle.ts), with its manifest.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

function outDirFromArgs(args) {
  const at = args.indexOf('--out-dir');
  if (at === -1) return path.join(ROOT, 'dist');
  if (!args[at + 1]) throw new Error('--out-dir needs a folder');
  return path.resolve(args[at + 1]);
}

async function main() {
  const outDir = outDirFromArgs(process.argv.slice(2));
  // A bundle and manifest from an earlier build must not outlive a failed tsc.
  for (const file of ['workflow-bundle.js', 'workflow-bundle.json']) fs.rmSync(path.join(outDir, file), { force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], {
    stdio: 'inherit',
  });
  const { writeWorkflowBundle } = require(path.join(outDir, 'worker', 'make-bundle.js'));
  const manifest = await writeWorkflowBundle(outDir);
  console.log(`workflow bundle: ${path.join(outDir, 'workflow-bundle.js')} (made from ${manifest.inputs.length} files, recorded in workflow-bundle.json)`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
