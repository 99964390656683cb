// The build's workflow bundle leaves tracing's workflow interceptors out (each workflow would load
// OpenTelemetry into its own module cache, traced or not); a worker that traces bundles at start-up.
import fs from 'node:fs';
import path from 'node:path';
import { writeWorkflowBundle } from '../../worker/make-bundle';
import { prebuiltWorkflowBundle } from '../../worker/prebuilt-bundle';
import { removeTempDirs, tempDir } from '../helpers/git-repo';
import { REPO_ROOT } from '../helpers/tools';

afterAll(() => removeTempDirs());

test("writeWorkflowBundle leaves the OpenTelemetry workflow interceptors out; a tracing worker does not take the build's bundle, and says why", async () => {
  // A build folder as tsc leaves it, with one workflow: what matters is what the bundler adds.
  const buildDir = tempDir('bundle-tracing');
  fs.mkdirSync(path.join(buildDir, 'workflows'));
  fs.mkdirSync(path.join(buildDir, 'common'));
  fs.writeFileSync(path.join(buildDir, 'workflows', 'index.js'), 'exports.noop = async function noop() {};\n');
  fs.writeFileSync(path.join(buildDir, 'workflows', 'shared-modules.js'), '// what every workflow shares\n');
  fs.writeFileSync(path.join(buildDir, 'common', 'payload-converter.js'), "exports.payloadConverter = require('@temporalio/common').defaultPayloadConverter;\n");
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(buildDir, 'node_modules'));

  const manifest = await writeWorkflowBundle(buildDir);

  expect(manifest.inputs.map((input) => input.file).filter((file) => file.includes('opentelemetry'))).toEqual([]);
  const bundle = fs.readFileSync(path.join(buildDir, manifest.bundle.file), 'utf8');
  expect(bundle).not.toContain('OpenTelemetryInboundInterceptor');
  expect(bundle).toContain('noop');

  const said: string[] = [];
  expect(prebuiltWorkflowBundle(buildDir, (line) => said.push(line))).toEqual({ codePath: path.join(buildDir, manifest.bundle.file) });
  expect(said).toEqual([]);
  expect(prebuiltWorkflowBundle(buildDir, (line) => said.push(line), { traced: true })).toBeUndefined();
  expect(said).toEqual([expect.stringMatching(/^ferry worker: tracing: bundling the workflows at start-up with tracing's workflow interceptors/)]);
}, 180_000);
