// Ferry's workflow modules, and zod with them, are evaluated once per workflow thread and shared by
// every workflow, not once per workflow (common/workflow-bundle.ts): in the bundle the tests run,
// as in the worker's and the build's.
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { ferryDataConverter } from '../../common/data-converter';
import { ferryBundlerOptions } from '../../common/workflow-bundle';
import { preloadedModules, zodLocalesIn } from '../helpers/preloaded-modules';
import { workflowBundle } from '../helpers/temporal-env';

test("the tests' workflow bundle evaluates zod's warm-up, then every workflow module, before any workflow", async () => {
  const { code } = await workflowBundle();
  expect(preloadedModules(code)).toEqual([expect.stringMatching(/workflows\/shared-modules\.ts$/), expect.stringMatching(/workflows\/index\.ts$/)]);
}, 120_000);

test('naming zod itself would preload nothing: webpack drops the require of a package marked side-effect free', async () => {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    payloadConverterPath: ferryDataConverter.payloadConverterPath,
    preloadModules: ['zod'],
    logger: new DefaultLogger('WARN'),
  });
  expect(preloadedModules(code)).toEqual([]);
  expect(ferryBundlerOptions(require.resolve('../../workflows')).preloadModules).toEqual([require.resolve('../../workflows/shared-modules'), require.resolve('../../workflows')]);
}, 120_000);

test("the tests' workflow bundle holds zod's English and none of its other locales", async () => {
  const { code } = await workflowBundle();
  expect(zodLocalesIn(code)).toEqual(['en.cjs']);
}, 120_000);
