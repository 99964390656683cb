// Build time (npm run build, after tsc): bundles the compiled workflows once, so a worker from
// the build starts without webpack, and records what the bundle was made from (bundle-manifest.ts).
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { BUNDLE_FILE, MANIFEST_FILE, sha256, type BundleManifest } from './bundle-manifest';

/** Writes `workflow-bundle.js` and its manifest into `buildDir`, which holds tsc's output (workflows/, common/). */
export async function writeWorkflowBundle(buildDir: string): Promise<BundleManifest> {
  const read = new Set<string>();
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(buildDir, 'workflows', 'index.js'),
    payloadConverterPath: path.join(buildDir, 'common', 'payload-converter.js'),
    // No tracing interceptors: every workflow would load OpenTelemetry into its own module cache
    // (megabytes each) whether the worker traces or not. A tracing worker bundles at start-up.
    logger: new DefaultLogger('WARN'),
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [
        ...(config.plugins ?? []),
        {
          apply: (compiler) =>
            compiler.hooks.afterCompile.tap('FerryBundleInputs', (compilation) => {
              for (const file of compilation.fileDependencies) read.add(file);
            }),
        },
      ],
    }),
  });
  // Webpack also notes folders and files it looked for and did not find: only real files count.
  // It reads package.json files to resolve modules too; those change with any script or
  // dependency edit, while the code they lead to is recorded itself.
  const inputs = [...read]
    .filter((file) => path.basename(file) !== 'package.json' && fs.statSync(file, { throwIfNoEntry: false })?.isFile())
    .sort()
    .map((file) => ({ file: path.relative(buildDir, file), sha256: sha256(fs.readFileSync(file)) }));
  const manifest: BundleManifest = { bundle: { file: BUNDLE_FILE, sha256: sha256(code) }, inputs };
  fs.writeFileSync(path.join(buildDir, BUNDLE_FILE), code);
  fs.writeFileSync(path.join(buildDir, MANIFEST_FILE), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}
