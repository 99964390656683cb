// What every bundle of Ferry's workflows is made with (the worker's, the build's, replay's, the
// tests' and the benches'), so that they all run the workflows the same way.

/**
 * The index of zod's locales, which its entry points load whole (as `z.locales`): CommonJS, as
 * Ferry's compiled code requires zod, and the ES module beside it, should a bundle import zod.
 * The `ferry` command leaves the index out too (bin/leave-out-zod-locales.js).
 */
const ZOD_LOCALES_INDEX = require.resolve('zod/v4/locales');
const ZOD_LOCALES = [ZOD_LOCALES_INDEX, ZOD_LOCALES_INDEX.replace(/\.cjs$/, '.js')];

/**
 * The SDK's bundler options for a bundle of the workflows in `workflowsPath`.
 *
 * `preloadModules`: modules evaluated once per workflow thread, before any workflow runs, and
 * shared by every workflow on it. Without them the SDK evaluates every module of the bundle again
 * for each workflow it runs (each keeps its own module cache): an environment lock held about
 * twice the heap a bare lock does, most of it Ferry's functions, constants and schemas made again
 * per workflow. `warmUp` (workflows/shared-modules.ts) comes first: zod completes its global
 * settings when it builds its first schema, and the SDK freezes what is shared once the preloading
 * ends. What this asks of every module a workflow loads: nothing a run changes may live in its
 * scope (workflows/run-local.ts holds what a run keeps for itself; test/style/module-state.test.ts
 * checks the rest).
 *
 * `ignoreModules`: zod's locales, which its entry points load only to offer them as `z.locales`
 * (a bundler that drops unused exports drops them; the SDK's webpack keeps them). Ferry speaks
 * zod's English, which zod loads on its own; without the other 62 the bundle holds 400 KB less
 * code and a worker's `Worker.create` takes about 25 ms less (README, Performance).
 */
export function ferryBundlerOptions(workflowsPath: string, warmUp = require.resolve('../workflows/shared-modules')): { preloadModules: string[]; ignoreModules: string[] } {
  return { preloadModules: [warmUp, workflowsPath], ignoreModules: [...ZOD_LOCALES] };
}
