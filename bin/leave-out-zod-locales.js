// Required for its effect by bin/ferry.js, before anything loads zod: zod's entry points load all
// 63 of its locales (about half of zod's load time: 20–25 ms of 45–50, in every `ferry` command)
// only to offer them as `z.locales`; Ferry speaks zod's English, which zod loads on its own. An
// empty module takes the place of their index in the module cache. Ferry's workflow bundles leave
// them out the same way (common/workflow-bundle.ts); a lint rule keeps Ferry's code off them.
'use strict';
const zodLocales = require.resolve('zod/v4/locales');
require.cache[zodLocales] ??= Object.assign(new module.constructor(zodLocales, module), { filename: zodLocales, loaded: true, exports: {} });
