// `ferry worker` from the build (npm run build), against a real dev server: it loads the workflow
// bundle the build made (webpack never bundles at its start-up, ts-node and the Kubernetes client
// are never loaded) and polls; from a build whose compiled workflows changed after the bundle was
// made, it says so, bundles at start-up, and polls all the same.
import fs from 'node:fs';
import path from 'node:path';
import { buildCheckout, runBuiltWorkerUntilPolled, type BuiltCheckout, type PolledRun } from '../helpers/built-worker';
import { useDevServer } from '../helpers/dev-server';
import { tempDir } from '../helpers/git-repo';
import { preloadedModules, zodLocaleFiles, zodLocalesIn } from '../helpers/preloaded-modules';
import { BUNDLE_FILE } from '../../worker/bundle-manifest';

const dev = useDevServer();
let built: BuiltCheckout;

beforeAll(() => {
  built = buildCheckout(tempDir('built-checkout'));
}, 300_000);

const runUntilPolled = (taskQueue: string) => runBuiltWorkerUntilPolled(built, dev.server.address, dev.connection, taskQueue, tempDir);

const loadedPackage = (run: PolledRun, file: string) => run.loaded.some((loaded) => loaded.includes(`${path.sep}node_modules${path.sep}${file}`));
/** Only bundling loads webpack's compiler: @temporalio/worker itself loads webpack's index alone. */
const bundled = (run: PolledRun) => loadedPackage(run, path.join('webpack', 'lib', 'webpack.js'));

test("the build's worker polls with the build's workflow bundle, without webpack, ts-node or the Kubernetes client at start-up", async () => {
  const run = await runUntilPolled('built-worker');

  expect(run.loaded).toContain(path.join(built.dist, 'worker', 'run-worker.js'));
  expect(bundled(run)).toBe(false);
  expect(loadedPackage(run, 'ts-node')).toBe(false);
  expect(loadedPackage(run, path.join('@kubernetes', 'client-node'))).toBe(false);
  expect(run.output).not.toMatch(/not using the prebuilt workflow bundle/);
});

test("the build's worker loads zod's English and none of its other locales, in its main thread and in its workflow bundle", async () => {
  const run = await runUntilPolled('built-worker-zod-locales');
  // index.cjs is there as bin/leave-out-zod-locales.js put it: empty, in the module cache.
  expect(zodLocaleFiles(run.loaded).sort()).toEqual(['en.cjs', 'index.cjs']);
  expect(zodLocalesIn(fs.readFileSync(path.join(built.dist, BUNDLE_FILE), 'utf8'))).toEqual(['en.cjs']);
});

test("the build's workflow bundle evaluates zod's warm-up and then every workflow module once per workflow thread, not once per workflow", () => {
  const code = fs.readFileSync(path.join(built.dist, BUNDLE_FILE), 'utf8');
  expect(preloadedModules(code)).toEqual([expect.stringMatching(/workflows\/shared-modules\.js$/), expect.stringMatching(/workflows\/index\.js$/)]);
});

test('a build whose compiled workflows changed after bundling is not run with the old bundle: the worker says so and bundles at start-up', async () => {
  const changed = path.join(built.dist, 'workflows', 'index.js');
  fs.appendFileSync(changed, '\n// changed after the build\n');

  const run = await runUntilPolled('built-worker-changed');

  expect(run.output).toContain(
    `ferry worker: not using the prebuilt workflow bundle in ${built.dist}: workflows/index.js changed since the bundle was built; bundling the workflows at start-up instead (npm run build makes a new bundle)`,
  );
  expect(bundled(run)).toBe(true);
});
