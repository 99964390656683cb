#!/usr/bin/env node
// A Kubernetes control plane on loopback for Ferry's tests: etcd, kube-apiserver (client
// certificates, RBAC), kube-controller-manager, kube-scheduler and kwok, which plays the kubelet of
// one fake node (pods become Ready, crash-loop or never become Ready by the stages in
// kwok-stages.yaml; nothing runs and pod IPs lead nowhere).
//
//   node scripts/kubernetes/control-plane.js [--dir DIR]
//
// builds the binaries if needed (binaries.js), starts the cluster, prints one JSON line
// {"kubeconfig": …, "context": …} on stdout once pods can be scheduled, and runs until SIGINT or
// SIGTERM, or until the process that started it is gone; then it stops everything it started.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('../free-port');
const { build, stopBuilds } = require('./binaries');
const { makePki } = require('./certificates');

const CONTEXT = 'ferry-test';
const SERVICE_CIDR = '10.96.0.0/16';
const SERVICE_IP = '10.96.0.1';
const NODE_NAME = 'ferry-fake-node';
const READY_TIMEOUT_MS = 90_000;

function log(message) {
  process.stderr.write(`ferry kubernetes: ${message}\n`);
}

function kubeconfig(file, server, pki, user) {
  const { cert, key } = pki.clients[user];
  fs.writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: ${CONTEXT}, cluster: { server: "${server}", certificate-authority: "${pki.ca}" } }]`,
      `users: [{ name: ${user}, user: { client-certificate: "${cert}", client-key: "${key}" } }]`,
      `contexts: [{ name: ${CONTEXT}, context: { cluster: ${CONTEXT}, user: ${user} } }]`,
      `current-context: ${CONTEXT}`,
      '',
    ].join('\n'),
  );
  return file;
}

/** One HTTPS request to the API server as admin (`cluster.tls`); resolves with the status and parsed body. */
function api(cluster, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${cluster.server}${urlPath}`,
      {
        method,
        ...cluster.tls,
        headers: body ? { 'content-type': 'application/json' } : {},
        timeout: 5_000,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => {
          let parsed = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // /readyz answers plain text
          }
          resolve({ status: response.statusCode, body: parsed });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(body ? JSON.stringify(body) : undefined);
  });
}

class ControlPlane {
  constructor(dir) {
    this.dir = dir;
    this.processes = [];
    this.stopping = false;
  }

  start(name, binary, args) {
    // Stopped while starting up: nothing more is started.
    if (this.stopping) throw new Error(`not starting ${name}: the control plane is being stopped`);
    const logFile = path.join(this.dir, 'logs', `${name}.log`);
    const out = fs.openSync(logFile, 'a');
    const child = spawn(binary, args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const entry = { name, child, logFile, exited: undefined };
    child.on('exit', (code, signal) => {
      entry.exited = signal ?? code;
      if (!this.stopping) log(`${name} exited (${entry.exited}) before the control plane was stopped; its log: ${logFile}`);
    });
    this.processes.push(entry);
    return entry;
  }

  /** Polls `check` until it returns true; fails early with a component's log tail when one died. */
  async until(what, check) {
    const giveUpAt = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (this.stopping) throw new Error(`stopped while waiting for ${what}`);
      const dead = this.processes.find((p) => p.exited !== undefined);
      if (dead) throw new Error(`${dead.name} exited (${dead.exited}) while waiting for ${what}:\n${tail(dead.logFile)}`);
      if (await check().catch(() => false)) return;
      if (Date.now() > giveUpAt) throw new Error(`gave up waiting ${READY_TIMEOUT_MS / 1000}s for ${what}; logs in ${path.join(this.dir, 'logs')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async stop() {
    this.stopping = true;
    // Reverse order: the components that use the API server go first, etcd last.
    for (const entry of [...this.processes].reverse()) {
      if (entry.exited !== undefined) continue;
      const gone = new Promise((resolve) => entry.child.once('exit', resolve));
      entry.child.kill('SIGTERM');
      const timer = setTimeout(() => entry.child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
  }
}

function tail(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts the components into `plane`, which the caller holds: a stop during start-up stops what already runs. */
async function up(dir, plane) {
  const started = Date.now();
  const bin = await build();
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const pki = makePki(path.join(dir, 'pki'), { serviceIp: SERVICE_IP });
  const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  // Read once: start-up polls the API server every 200 ms.
  const tls = { ca: fs.readFileSync(pki.ca), cert: fs.readFileSync(pki.clients.admin.cert), key: fs.readFileSync(pki.clients.admin.key) };
  const cluster = { server, tls };
  try {
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    plane.start('etcd', bin.etcd, [
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      // A test cluster that dies with its run: durability buys nothing and fsync costs seconds.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await plane.until('etcd', async () => (await fetch(`${etcdUrl}/health`)).ok);

    plane.start('kube-apiserver', bin['kube-apiserver'], [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.apiserver.cert}`,
      `--tls-private-key-file=${pki.apiserver.key}`,
      `--client-ca-file=${pki.ca}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${pki.serviceAccount.pub}`,
      `--service-account-signing-key-file=${pki.serviceAccount.key}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // No kubelet serves this cluster's nodes, so the API server has nothing to publish itself to.
      '--endpoint-reconciler-type=none',
      `--cert-dir=${path.join(dir, 'apiserver-certs')}`,
    ]);
    await plane.until('kube-apiserver /readyz', async () => (await api(cluster, 'GET', '/readyz')).status === 200);

    const config = (user) => kubeconfig(path.join(dir, `${user}.kubeconfig`), server, pki, user);
    plane.start('kube-controller-manager', bin['kube-controller-manager'], [
      `--kubeconfig=${config('kube-controller-manager')}`,
      // With RBAC on, controllers that share the manager's identity get 403 on everything.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccount.key}`,
      `--root-ca-file=${pki.ca}`,
      '--leader-elect=false',
      '--secure-port=0',
    ]);
    plane.start('kube-scheduler', bin['kube-scheduler'], [`--kubeconfig=${config('kube-scheduler')}`, '--leader-elect=false', '--secure-port=0']);
    plane.start('kwok', bin.kwok, [
      `--kubeconfig=${config('kwok')}`,
      `--config=${path.join(__dirname, 'kwok-stages.yaml')}`,
      '--manage-all-nodes=true',
      // The node's heartbeat: without a renewed Lease the node lifecycle controller marks the node
      // NotReady after its grace period, and every pod on it not Ready with it.
      '--node-lease-duration-seconds=40',
      '--node-ip=127.0.0.1',
      '--cidr=10.244.0.0/16',
    ]);
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME, type: 'kwok' }, annotations: { 'kwok.x-k8s.io/node': 'fake' } },
    };
    await plane.until('the fake node to be created', async () => [201, 409].includes((await api(cluster, 'POST', '/api/v1/nodes', node)).status));
    await plane.until('the fake node to be Ready', async () => {
      const { body } = await api(cluster, 'GET', `/api/v1/nodes/${NODE_NAME}`);
      return body.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    });
    // The service account controller runs: a new namespace gets its `default` ServiceAccount, without which no pod is admitted.
    await plane.until('the default ServiceAccount', async () => (await api(cluster, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200);
    const admin = config('admin');
    log(`control plane ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${server}; KUBECONFIG=${admin}`);
    return { kubeconfig: admin, context: CONTEXT, server };
  } catch (error) {
    await plane.stop();
    throw error;
  }
}

function argValue(flag) {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const given = argValue('--dir');
  const dir = given ? path.resolve(given) : fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-kubernetes-'));
  const parent = process.ppid;
  const plane = new ControlPlane(dir);
  let cluster;
  let stopping;
  const stop = (why) => {
    stopping ??= (async () => {
      if (why) log(`stopping (${why})`);
      stopBuilds();
      await plane.stop();
      if (!given) fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    })();
    return stopping;
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Started by a test run that was killed: nothing else would stop the cluster.
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      stop('the process that started it is gone');
    }
  }, 1_000).unref();
  try {
    cluster = await up(dir, plane);
  } catch (error) {
    log(error.message);
    if (!given) fs.rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ kubeconfig: cluster.kubeconfig, context: cluster.context, server: cluster.server })}\n`);
  setInterval(() => undefined, 60_000); // keeps running until a signal
}

if (require.main === module) main();

module.exports = { up, ControlPlane, CONTEXT };
