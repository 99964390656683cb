// `ferry worker` from the build (npm run build), against a real dev server: it loads the workflow
// bundle the build made (webpack never bundles at its start-up, ts-node and the Kubernetes client
// are never loaded) and polls; from a build whose compiled workflows changed after the bundle was
// made, it says so, bundles at start-up, and polls all the same.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { DevServer } from '../../client/dev/temporal-dev-server';
import { buildCheckout, untilPolled, type BuiltCheckout } from '../helpers/built-worker';
import { startTestDevServer } from '../helpers/dev-server';
import { removeTempDirs, tempDir } from '../helpers/git-repo';

let server: DevServer;
let connection: Connection;
let built: BuiltCheckout;
let preload: string;

beforeAll(async () => {
  built = buildCheckout(tempDir('built-checkout'));
  server = await startTestDevServer();
  connection = await Connection.connect({ address: server.address });
  // Lists every module the process loaded, once it exits.
  preload = path.join(tempDir('preload'), 'list-modules.js');
  fs.writeFileSync(preload, "process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_MODULES, Object.keys(require.cache).join('\\n')));\n");
}, 300_000);

afterAll(async () => {
  await connection?.close();
  await server?.stop();
  removeTempDirs();
});

interface Run {
  output: string;
  loaded: string[];
}

/** Starts `node bin/ferry.js worker` of the build, waits until the server sees it poll, stops it. */
async function runUntilPolled(taskQueue: string): Promise<Run> {
  const loadedList = path.join(tempDir('loaded'), 'modules.txt');
  const child: ChildProcess = spawn(process.execPath, ['--require', preload, built.ferry, 'worker', '--task-queue', taskQueue], {
    cwd: tempDir('worker-cwd'),
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, FERRY_STATE_DIR: tempDir('worker-state'), LOADED_MODULES: loadedList },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await untilPolled(connection, taskQueue, () => (child.exitCode !== null ? `the worker exited with ${child.exitCode}:\n${output}` : undefined));
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return { output, loaded: fs.readFileSync(loadedList, 'utf8').split('\n') };
}

const loadedPackage = (run: Run, file: string) => run.loaded.some((loaded) => loaded.includes(`${path.sep}node_modules${path.sep}${file}`));
/** Only bundling loads webpack's compiler: @temporalio/worker itself loads webpack's index alone. */
const bundled = (run: Run) => loadedPackage(run, path.join('webpack', 'lib', 'webpack.js'));

test("the build's worker polls with the build's workflow bundle, without webpack, ts-node or the Kubernetes client at start-up", async () => {
  const run = await runUntilPolled('built-worker');

  expect(run.loaded).toContain(path.join(built.dist, 'worker', 'run-worker.js'));
  expect(bundled(run)).toBe(false);
  expect(loadedPackage(run, 'ts-node')).toBe(false);
  expect(loadedPackage(run, path.join('@kubernetes', 'client-node'))).toBe(false);
  expect(run.output).not.toMatch(/not using the prebuilt workflow bundle/);
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
