// Starts the Kubernetes control plane (scripts/kubernetes/control-plane.js) once for the whole
// test run, when the run includes a Kubernetes test and no cluster was given in
// FERRY_TEST_KUBECONFIG. The test files find it through the same variables; global-teardown.js
// stops it (and it stops itself if this process dies).
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..');

function kubernetesTestFiles() {
  return fs
    .readdirSync(path.join(ROOT, 'test'), { recursive: true })
    .filter((file) => /kubernetes[^/]*\.test\.ts$/.test(file))
    .map((file) => path.join(ROOT, 'test', file));
}

function selectsKubernetesTests(globalConfig) {
  const patterns = globalConfig.testPathPatterns;
  if (!patterns || !patterns.isSet()) return true;
  const executor = patterns.toExecutor({ rootDir: ROOT });
  return kubernetesTestFiles().some((file) => executor.isMatch(file));
}

module.exports = async function startKubernetes(globalConfig) {
  if (process.env.FERRY_TEST_KUBECONFIG || !selectsKubernetesTests(globalConfig)) return;
  const { built, goAvailable } = require('../../scripts/kubernetes/binaries');
  // pretest builds it; when it could not, the tests skip (or fail in CI) saying why.
  if (!built()) {
    if (goAvailable()) {
      process.env.FERRY_TEST_KUBERNETES_MISSING = 'the Kubernetes control plane is not built: `node scripts/kubernetes/binaries.js` builds it and says what failed';
    }
    return;
  }
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'kubernetes', 'control-plane.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`the Kubernetes control plane did not start (exit ${code}); its reasons are above`)));
  });
  process.env.FERRY_TEST_KUBECONFIG = ready.kubeconfig;
  process.env.FERRY_TEST_KUBE_CONTEXT = ready.context;
  globalThis.ferryKubernetesControlPlane = child;
};
