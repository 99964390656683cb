// Which workflow code a worker loads: from the build, the bundle the build made (no webpack at
// start-up), as long as it still matches the compiled code next to it.
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLE_FILE, MANIFEST_FILE, whyStale } from './bundle-manifest';

/** The build folder (dist/) this file was compiled into, or undefined when it runs from the TypeScript sources. */
export function buildDirOfThisWorker(): string | undefined {
  return __filename.endsWith('.js') ? path.resolve(__dirname, '..') : undefined;
}

const readIn = (dir: string) => (file: string) => {
  try {
    return fs.readFileSync(path.resolve(dir, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/**
 * The build's bundle as `{ codePath }`, or undefined (the worker then bundles at start-up, as
 * from the sources). From a build whose bundle is missing or stale it says so: a worker must
 * never run workflow code other than the code it was built with without anyone knowing. A
 * `traced` worker bundles at start-up: the build's bundle has no tracing interceptors.
 */
export function prebuiltWorkflowBundle(buildDir: string | undefined, log: (line: string) => void, { traced = false } = {}): { codePath: string } | undefined {
  if (buildDir === undefined) return undefined;
  if (traced) {
    log(`ferry worker: tracing: bundling the workflows at start-up with tracing's workflow interceptors (the build's bundle leaves them out, as they cost every workflow memory)`);
    return undefined;
  }
  const read = readIn(buildDir);
  const why = whyStale(read(MANIFEST_FILE)?.toString('utf8'), read);
  if (why === undefined) return { codePath: path.join(buildDir, BUNDLE_FILE) };
  log(`ferry worker: not using the prebuilt workflow bundle in ${buildDir}: ${why}; bundling the workflows at start-up instead (npm run build makes a new bundle)`);
  return undefined;
}
