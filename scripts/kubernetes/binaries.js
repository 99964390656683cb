// Builds the control plane Ferry's Kubernetes tests run on — kube-apiserver,
// kube-controller-manager, kube-scheduler, etcd and kwok — from the Go module proxy alone, once,
// into a cache outside the clone keyed by their versions. A cold build takes minutes (most of it
// kube-apiserver); later runs find the binaries and return at once. kustomize, which renders
// manifests mode's manifests, is built beside them (under 1 minute) and checked for on its own,
// so a cache made before it only gains kustomize.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// Pinned together: the apiserver needs an etcd 3.5+ and kwok 0.8 speaks to Kubernetes 1.34.
const VERSIONS = { kubernetes: 'v1.34.4', etcd: 'v3.6.16', kwok: 'v0.8.0', kustomize: 'v5.7.1' };
const KUBERNETES_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
const BINARIES = [...KUBERNETES_COMMANDS, 'etcd', 'kwok'];

function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'ferry', 'kubernetes');
}

function binDir() {
  return path.join(cacheRoot(), `kubernetes-${VERSIONS.kubernetes}_etcd-${VERSIONS.etcd}_kwok-${VERSIONS.kwok}`, 'bin');
}

function binaries() {
  return Object.fromEntries(BINARIES.map((name) => [name, path.join(binDir(), name)]));
}

function built() {
  return Object.values(binaries()).every((file) => fs.existsSync(file));
}

/** Named with its version: the folder is keyed by the control plane's versions only. */
function kustomizePath() {
  return path.join(binDir(), `kustomize-${VERSIONS.kustomize}`);
}

function kustomizeBuilt() {
  return fs.existsSync(kustomizePath());
}

function goAvailable() {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

function log(message) {
  process.stderr.write(`ferry kubernetes: ${message}\n`);
}

function minutes(ms) {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** What a build in this process has running: stopBuilds() ends it, e.g. when the control plane is stopped while it builds. */
const running = { children: new Set(), work: undefined };

function stopBuilds() {
  for (const child of running.children) child.kill('SIGTERM');
  if (running.work) fs.rmSync(running.work, { recursive: true, force: true });
}

/** Runs go with -v and reports how many packages it has compiled, every 20 s, so a long build shows life. */
function go(args, { cwd, env, what }) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let packages = 0;
    let tail = '';
    const child = spawn('go', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.children.add(child);
    child.on('exit', () => running.children.delete(child));
    const count = (chunk) => {
      const text = chunk.toString();
      packages += (text.match(/\n/g) ?? []).length;
      tail = (tail + text).slice(-4000);
    };
    child.stdout.on('data', count);
    child.stderr.on('data', count);
    const ticker = setInterval(() => log(`${what}: ${minutes(Date.now() - started)}, ${packages} packages so far`), 20_000);
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (code === 0) {
        log(`${what}: done in ${minutes(Date.now() - started)}`);
        resolve();
      } else {
        reject(new Error(`go ${args.join(' ')} failed (exit ${code}) in ${cwd}:\n${tail}`));
      }
    });
  });
}

/**
 * k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/client-go, …) as v0.0.0 and
 * replaces them with folders of its own repository, which a module that depends on it cannot see:
 * the scratch module maps each to the tagged release that matches, v1.x.y → v0.x.y.
 */
async function kubernetesModule(dir) {
  const version = VERSIONS.kubernetes;
  const stagingVersion = version.replace(/^v1\./, 'v0.');
  const response = await fetch(`${goProxy()}/k8s.io/kubernetes/@v/${version}.mod`);
  if (!response.ok) throw new Error(`the Go module proxy answered ${response.status} for k8s.io/kubernetes ${version}`);
  const goMod = await response.text();
  const staging = [...goMod.matchAll(/^\s*(k8s\.io\/[\w.\-/]+) v0\.0\.0\s*$/gm)].map((m) => m[1]);
  if (staging.length === 0) throw new Error(`k8s.io/kubernetes ${version}'s go.mod lists no staging modules`);
  const replaces = [...new Set(staging)].map((module) => `\t${module} => ${module} ${stagingVersion}`);
  fs.writeFileSync(path.join(dir, 'go.mod'), `module ferry.local/kubernetes\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes ${version}\n\nreplace (\n${replaces.join('\n')}\n)\n`);
}

function goProxy() {
  const first = (process.env.GOPROXY || 'https://proxy.golang.org').split(/[,|]/)[0];
  return first === 'direct' || first === 'off' ? 'https://proxy.golang.org' : first.replace(/\/$/, '');
}

function etcdModule(dir) {
  fs.writeFileSync(path.join(dir, 'go.mod'), `module ferry.local/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 ${VERSIONS.etcd}\n`);
}

async function build() {
  if (built()) return binaries();
  if (!goAvailable()) {
    throw new Error('building the Kubernetes control plane needs Go on PATH: 1.26 or newer, or 1.21+ which fetches the 1.26 toolchain itself (https://go.dev/dl/)');
  }
  const target = binDir();
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheRoot(), 'build-'));
  running.work = work;
  const staged = path.join(work, 'bin');
  fs.mkdirSync(staged, { recursive: true });
  // GOTOOLCHAIN is left to Go: an older Go (1.21+) fetches the toolchain these modules ask for.
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOBIN: staged };
  log(`building ${BINARIES.join(', ')} into ${target} (cold: about 7 minutes on 2 cores, once per version)`);
  try {
    const kube = path.join(work, 'kubernetes');
    fs.mkdirSync(kube);
    await kubernetesModule(kube);
    const commands = KUBERNETES_COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}`);
    await go(['build', '-v', '-trimpath', '-ldflags=-s -w', '-o', staged + path.sep, ...commands], {
      cwd: kube,
      env,
      what: `Kubernetes ${VERSIONS.kubernetes}`,
    });
    const etcd = path.join(work, 'etcd');
    fs.mkdirSync(etcd);
    etcdModule(etcd);
    await go(['build', '-v', '-trimpath', '-ldflags=-s -w', '-o', path.join(staged, 'etcd'), 'go.etcd.io/etcd/server/v3'], {
      cwd: etcd,
      env,
      what: `etcd ${VERSIONS.etcd}`,
    });
    await go(['install', '-v', '-trimpath', '-ldflags=-s -w', `sigs.k8s.io/kwok/cmd/kwok@${VERSIONS.kwok}`], {
      cwd: work,
      env: { ...env, GOFLAGS: '' },
      what: `kwok ${VERSIONS.kwok}`,
    });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staged, target);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    running.work = undefined;
  }
  return binaries();
}

async function buildKustomize() {
  if (kustomizeBuilt()) return kustomizePath();
  if (!goAvailable()) throw new Error('building kustomize needs Go on PATH (https://go.dev/dl/)');
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheRoot(), 'build-'));
  running.work = work;
  try {
    const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '', GOBIN: work };
    log(`building kustomize ${VERSIONS.kustomize} into ${binDir()} (about a minute, once per version)`);
    await go(['install', '-v', '-trimpath', '-ldflags=-s -w', `sigs.k8s.io/kustomize/kustomize/v5@${VERSIONS.kustomize}`], {
      cwd: work,
      env,
      what: `kustomize ${VERSIONS.kustomize}`,
    });
    fs.mkdirSync(binDir(), { recursive: true });
    // A rename within one file system: a concurrent run never sees half a binary.
    fs.renameSync(path.join(work, 'kustomize'), kustomizePath());
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    running.work = undefined;
  }
  return kustomizePath();
}

module.exports = { VERSIONS, binaries, build, built, buildKustomize, kustomizeBuilt, kustomizePath, goAvailable, cacheRoot, stopBuilds };

// `npm test` runs this first (pretest), so the build happens before the suite and not beside it.
// Without Go it only says so: the Kubernetes tests then skip naming what to install (and fail in CI).
if (require.main === module) {
  // A cluster given in FERRY_TEST_KUBECONFIG needs no control plane; a kustomize given in
  // FERRY_KUSTOMIZE needs no build.
  const needControlPlane = !process.env.FERRY_TEST_KUBECONFIG && !built();
  const needKustomize = !process.env.FERRY_KUSTOMIZE && !kustomizeBuilt();
  if (process.env.FERRY_TEST_KUBECONFIG) log(`using the cluster in FERRY_TEST_KUBECONFIG (${process.env.FERRY_TEST_KUBECONFIG})`);
  if (!needControlPlane && !needKustomize) {
    // Everything is there already.
  } else if (!goAvailable()) {
    log('no Go on PATH: the Kubernetes tests will be skipped. Install Go 1.26 or newer (https://go.dev/dl/) to run them');
  } else {
    (async () => {
      if (needControlPlane) await build();
      if (needKustomize) await buildKustomize();
    })().then(
      () => log(`control plane binaries and kustomize in ${binDir()}`),
      (error) => {
        log(error.message);
        // Elsewhere the rest of the suite still runs, and the Kubernetes tests say they were skipped.
        if (process.env.CI) process.exit(1);
        log('the Kubernetes tests will be skipped: what they need could not be built (see above)');
      },
    );
  }
}
