// Build time (npm run build, after tsc): bundles the compiled workflows once, so a worker from
// the build starts without webpack, and records what the bundle was made from (bundle-manifest.ts).
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { ferryBundlerOptions } from '../common/workflow-bundle';
import { BUNDLE_FILE, MANIFEST_FILE, sha256, type BundleManifest } from './bundle-manifest';

/** Writes `workflow-bundle.js` and its manifest into `buildDir`, which holds tsc's output (workflows/, common/). */
export async function writeWorkflowBundle(buildDir: string): Promise<BundleManifest> {
  const read = new Set<string>();
  const workflowsPath = path.join(buildDir, 'workflows', 'index.js');
  let { code } = await bundleWorkflowCode({
    workflowsPath,
    payloadConverterPath: path.join(buildDir, 'common', 'payload-converter.js'),
    ...ferryBundlerOptions(workflowsPath, path.join(buildDir, 'workflows', 'shared-modules.js')),
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
  code = withoutLibrarySources(code);
  const manifest: BundleManifest = { bundle: { file: BUNDLE_FILE, sha256: sha256(code) }, inputs };
  fs.writeFileSync(path.join(buildDir, BUNDLE_FILE), code);
  fs.writeFileSync(path.join(buildDir, MANIFEST_FILE), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}

const SOURCE_MAP_TAG = '//# sourceMappingURL=data:';

/**
 * The bundle with its inline source map's copies of library sources (zod, the SDK: about 1.6 MB
 * of the map's 1.7 MB of source text) left out. The worker parses the map in its main thread and
 * again in the workflow thread, and holds both for good: about 25 MB of an idle worker's memory.
 * The mappings stay, so stack traces still name every file and line; the Web UI's stack trace
 * view still shows Ferry's own sources (workflows/, common/), not the libraries'.
 */
export function withoutLibrarySources(code: string): string {
  const at = code.lastIndexOf(SOURCE_MAP_TAG);
  // webpack writes data:application/json;charset=utf-8;base64,…
  const base64At = at === -1 ? -1 : code.indexOf('base64,', at);
  if (base64At === -1) return code;
  const map = JSON.parse(Buffer.from(code.slice(base64At + 'base64,'.length).trimEnd(), 'base64').toString('utf8')) as { sources?: string[]; sourcesContent?: (string | null)[] };
  if (!map.sources || !map.sourcesContent) return code;
  const sources = map.sources;
  map.sourcesContent = map.sourcesContent.map((content, i) => (/[\\/]node_modules[\\/]/.test(sources[i] ?? '') ? null : content));
  return code.slice(0, base64At + 'base64,'.length) + Buffer.from(JSON.stringify(map)).toString('base64');
}
