#!/usr/bin/env node
// The `ferry` command: the compiled CLI when there is one (npm run build), else the TypeScript
// sources through ts-node, so a fresh clone works without a build step.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// zod's entry points load all 64 of its locales (a third of zod's load time, about 25 ms of every
// command's start) only to offer them as `z.locales`; Ferry speaks zod's English, which zod loads
// on its own. Ferry's workflow bundles leave them out the same way (common/workflow-bundle.ts).
const zodLocales = require.resolve('zod/v4/locales');
require.cache[zodLocales] = Object.assign(new module.constructor(zodLocales, module), { filename: zodLocales, loaded: true, exports: {} });

const compiled = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
if (!fs.existsSync(compiled)) {
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
}
const { main, exitWhenFlushed } = require(fs.existsSync(compiled) ? compiled : '../client/cli.ts');
// Not process.exit(): output still in a pipe's way (a large `--json`) would be cut off.
main(process.argv).then(exitWhenFlushed);
