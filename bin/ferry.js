#!/usr/bin/env node
// The `ferry` command: the compiled CLI when there is one (npm run build), else the TypeScript
// sources through ts-node, so a fresh clone works without a build step.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

require('./leave-out-zod-locales');

const compiled = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
if (!fs.existsSync(compiled)) {
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
}
const { main, exitWhenFlushed } = require(fs.existsSync(compiled) ? compiled : '../client/cli.ts');
// Not process.exit(): output still in a pipe's way (a large `--json`) would be cut off.
main(process.argv).then(exitWhenFlushed);
