// The build's workflow bundle carries tracing's workflow interceptors, so a worker from the build
// (which never bundles at start-up) traces its workflows as one from the sources does.
import fs from 'node:fs';
import path from 'node:path';
import { writeWorkflowBundle } from '../../worker/make-bundle';
import { removeTempDirs, tempDir } from '../helpers/git-repo';
import { REPO_ROOT } from '../helpers/tools';

afterAll(() => removeTempDirs());

test('writeWorkflowBundle bundles the OpenTelemetry workflow interceptors and records them in the manifest', async () => {
  // A build folder as tsc leaves it, with one workflow: what matters is what the bundler adds.
  const buildDir = tempDir('bundle-tracing');
  fs.mkdirSync(path.join(buildDir, 'workflows'));
  fs.mkdirSync(path.join(buildDir, 'common'));
  fs.writeFileSync(path.join(buildDir, 'workflows', 'index.js'), 'exports.noop = async function noop() {};\n');
  fs.writeFileSync(path.join(buildDir, 'common', 'payload-converter.js'), "exports.payloadConverter = require('@temporalio/common').defaultPayloadConverter;\n");
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(buildDir, 'node_modules'));

  const manifest = await writeWorkflowBundle(buildDir);

  const interceptorModule = path.join('@temporalio', 'interceptors-opentelemetry', 'lib', 'workflow-interceptors.js');
  expect(manifest.inputs.map((input) => input.file).filter((file) => file.endsWith(interceptorModule))).toHaveLength(1);
  const bundle = fs.readFileSync(path.join(buildDir, manifest.bundle.file), 'utf8');
  expect(bundle).toContain('OpenTelemetryInboundInterceptor');
  expect(bundle).toContain('OpenTelemetryOutboundInterceptor');
}, 180_000);
