// What a workflow bundle holds, and what it evaluates once per workflow thread: the modules its
// `preloadModules` function requires. Webpack drops a require it takes for side-effect free (a
// package marked so, as zod is), leaving the function empty, and the SDK says nothing: the bundle
// is read instead.

/** The module IDs the bundle's preloadModules function requires, in order. */
export function preloadedModules(bundleCode: string): string[] {
  const at = bundleCode.indexOf('exports.preloadModules = function preloadModules() {');
  if (at === -1) throw new Error('the bundle has no preloadModules function');
  const body = bundleCode.slice(at, bundleCode.indexOf('\n}', at));
  return [...body.matchAll(/__webpack_require__\((?:\/\*.*?\*\/\s*)*"([^"]+)"\)/g)].map((match) => match[1]);
}

/** The IDs of every module the bundle holds (webpack writes each as a key of its module table). */
export function bundledModules(bundleCode: string): string[] {
  return [...bundleCode.matchAll(/^\/\*\*\*\/ "([^"]+)"$/gm)].map((match) => match[1]);
}

/** The file names of zod's locales among `files` (paths or module IDs). */
export const zodLocaleFiles = (files: string[]) => files.flatMap((file) => file.match(/[\\/]zod[\\/]v4[\\/]locales[\\/]([^\\/]+)$/)?.[1] ?? []);

/** The locales of zod's a bundle holds, by file name. */
export const zodLocalesIn = (bundleCode: string) => zodLocaleFiles(bundledModules(bundleCode));
