// Versioned SQL migrations: NNN_name.up.sql / NNN_name.down.sql, recorded in schema_migrations,
// applied one transaction each under an advisory lock so two workers never migrate one database
// at once. These functions take a folder and a URL; the activities find the folder in a worktree.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Client, DatabaseError } from 'pg';
import { FailureType } from '../../common/errors';
import { databaseTarget, isDatabaseError, withClient, type Progress } from './connection';

export interface Migration {
  /** The digits before the first underscore, as written: "001". */
  version: string;
  name: string;
  /** `${version}_${name}`, what results and schema_migrations report. */
  id: string;
  upFile: string;
  downFile?: string;
  /** sha256 (hex) of the up file's bytes. */
  checksum: string;
}

export interface AppliedMigration {
  version: string;
  name: string;
  checksum: string;
  promotionId: string | null;
}

const FILE_NAME = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*?)\.(up|down)\.sql$/;

/** The session-level advisory lock every Ferry migrator takes: 64 bits of sha256('ferry-migrations'). */
export const MIGRATION_LOCK_KEY = BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update('ferry-migrations').digest('hex').slice(0, 16)}`)).toString();

const CREATE_TABLE = `create table if not exists schema_migrations (
  version text primary key,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now(),
  promotion_id text
)`;

const byVersion = (a: { version: string }, b: { version: string }) => {
  const [x, y] = [BigInt(a.version), BigInt(b.version)];
  return x < y ? -1 : x > y ? 1 : a.version.localeCompare(b.version);
};

/** Reads a migrations folder: every .sql file must be NNN_name.up.sql or NNN_name.down.sql. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (error) {
    throw ApplicationFailure.nonRetryable(`the migrations folder ${dir} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, FailureType.InvalidInput);
  }
  const problems: string[] = [];
  const ups = new Map<bigint, Migration>();
  const downs = new Map<bigint, { file: string; id: string }>();
  for (const file of entries.sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(file);
    if (!match) {
      problems.push(`${file} is not named NNN_name.up.sql or NNN_name.down.sql`);
      continue;
    }
    const [, version, name, direction] = match;
    const key = BigInt(version);
    const id = `${version}_${name}`;
    const same = direction === 'up' ? ups.get(key) : downs.get(key);
    if (same) {
      problems.push(`${file} and ${direction === 'up' ? (same as Migration).upFile : (same as { file: string }).file} have the same version ${version}`);
      continue;
    }
    if (direction === 'up') {
      const bytes = await fs.readFile(path.join(dir, file));
      ups.set(key, { version, name, id, upFile: file, checksum: sha256(bytes) });
    } else {
      downs.set(key, { file, id });
    }
  }
  for (const [key, down] of downs) {
    const up = ups.get(key);
    if (!up) problems.push(`${down.file} has no up file`);
    else if (up.id !== down.id) problems.push(`${down.file} does not match ${up.upFile}`);
    else up.downFile = down.file;
  }
  if (problems.length > 0) {
    throw ApplicationFailure.nonRetryable(`migrations in ${dir}: ${problems.join('; ')}`, FailureType.InvalidInput);
  }
  return [...ups.values()].sort(byVersion);
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Holds Ferry's advisory lock on this session while `work` runs. Waiting is reported, so a
 * heartbeat says "waiting for another migration" rather than nothing.
 */
export async function withMigrationLock<T>(client: Client, progress: Progress, work: () => Promise<T>): Promise<T> {
  const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [MIGRATION_LOCK_KEY]);
  if (!rows[0].locked) {
    progress.onProgress?.('waiting for another Ferry migration on this database to finish (advisory lock)');
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  }
  try {
    return await work();
  } finally {
    // If the connection broke, the session is gone and so is its lock.
    await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
}

export async function migrationsTableExists(client: Client): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>(`select to_regclass('schema_migrations') is not null as exists`);
  return rows[0].exists;
}

/** What schema_migrations holds, oldest version first (empty when the table does not exist). */
export async function appliedMigrations(client: Client, promotionId?: string): Promise<AppliedMigration[]> {
  if (!(await migrationsTableExists(client))) return [];
  const { rows } = await client.query<AppliedMigration>(
    `select version, name, checksum, promotion_id as "promotionId" from schema_migrations
      where $1::text is null or promotion_id = $1::text`,
    [promotionId ?? null],
  );
  return rows.sort(byVersion);
}

/**
 * Applies the pending migrations of `dir`, each in its own transaction, and returns the ones that
 * this promotion has applied (by this call or an earlier attempt of it), oldest first: a retry
 * after a crash reports the same list, and a second promotion of the same commit reports none.
 * `migrations` is all of schema_migrations afterwards, for the environment's ledger.
 */
export async function applyMigrations(url: string, dir: string, promotionId: string, progress: Progress = {}): Promise<{ applied: string[]; migrations: string[] }> {
  const target = databaseTarget(url);
  const migrations = await loadMigrations(dir);
  return withClient(target, progress, (client) =>
    withMigrationLock(client, progress, async () => {
      await client.query(CREATE_TABLE);
      checkForDrift(migrations, await appliedMigrations(client), dir);
      await applyPending(client, dir, migrations, promotionId, progress);
      const all = await appliedMigrations(client);
      return { applied: all.filter((m) => m.promotionId === promotionId).map(idOf), migrations: all.map(idOf) };
    }),
  );
}

/** Applies those of `migrations` (read from `dir`) that schema_migrations lacks, oldest first, one transaction each; returns their ids. */
async function applyPending(client: Client, dir: string, migrations: Migration[], promotionId: string, progress: Progress): Promise<string[]> {
  const done = new Set((await appliedMigrations(client)).map((m) => BigInt(m.version)));
  const applied: string[] = [];
  for (const migration of migrations.filter((m) => !done.has(BigInt(m.version)))) {
    progress.signal?.throwIfAborted();
    progress.onProgress?.(`applying ${migration.upFile}`);
    const bytes = await fs.readFile(path.join(dir, migration.upFile));
    if (sha256(bytes) !== migration.checksum) {
      throw ApplicationFailure.nonRetryable(`${migration.upFile} changed while the migration ran`, FailureType.ChecksumDrift);
    }
    await inTransaction(client, bytes.toString('utf8'), migration.upFile, migration.id, {
      text: 'insert into schema_migrations (version, name, checksum, applied_at, promotion_id) values ($1, $2, $3, now(), $4)',
      values: [migration.version, migration.name, migration.checksum, promotionId],
    });
    applied.push(migration.id);
  }
  return applied;
}

const idOf = (m: { version: string; name: string }) => `${m.version}_${m.name}`;

/**
 * A rollback's way back by down files: every migration in schema_migrations that `targetDir` (the
 * migrations of the release rolled back to) does not have is undone, newest first, by the down file
 * in `liveDir` (the release live now, which applied them), one transaction each. Then the target's
 * own migrations the database lacks are applied, as `promotionId`: a rollback "back" to a release
 * newer than the live one (after a rollback from it) needs its schema. A missing down file or a
 * drifted migration refuses the whole revert before anything runs, naming it. Idempotent: a second
 * call finds nothing to undo or apply.
 */
export async function revertMigrationsWithDownFiles(
  url: string,
  dirs: { liveDir: string; targetDir: string },
  promotionId: string,
  progress: Progress = {},
): Promise<{ reverted: string[]; applied?: string[]; migrations: string[] }> {
  const target = databaseTarget(url);
  const targetMigrations = await loadMigrations(dirs.targetDir);
  const expected = new Set(targetMigrations.map((m) => BigInt(m.version)));
  const downFiles = new Map((await loadMigrations(dirs.liveDir)).map((m) => [BigInt(m.version), m]));
  return withClient(target, progress, (client) =>
    withMigrationLock(client, progress, async () => {
      const extra = (await appliedMigrations(client)).filter((m) => !expected.has(BigInt(m.version))).reverse();
      const missing = extra.filter((row) => !downFiles.get(BigInt(row.version))?.downFile).map((row) => `${idOf(row)}.down.sql`);
      if (missing.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `cannot roll the database back by down migrations: ${missing.join(', ')} missing in ${dirs.liveDir} (the live release's migrations); nothing was changed`,
          FailureType.InvalidInput,
        );
      }
      // The target's own files must match what the database kept of them, before anything is taken out.
      checkForDrift(
        targetMigrations,
        (await appliedMigrations(client)).filter((m) => expected.has(BigInt(m.version))),
        dirs.targetDir,
      );
      const reverted: string[] = [];
      for (const row of extra) {
        progress.signal?.throwIfAborted();
        const migration = downFiles.get(BigInt(row.version))!;
        progress.onProgress?.(`reverting ${migration.downFile}`);
        const sql = await fs.readFile(path.join(dirs.liveDir, migration.downFile!), 'utf8');
        await inTransaction(client, sql, migration.downFile!, idOf(row), {
          text: 'delete from schema_migrations where version = $1',
          values: [row.version],
        });
        reverted.push(idOf(row));
      }
      await client.query(CREATE_TABLE);
      const applied = await applyPending(client, dirs.targetDir, targetMigrations, promotionId, progress);
      return { reverted, ...(applied.length > 0 ? { applied } : {}), migrations: (await appliedMigrations(client)).map(idOf) };
    }),
  );
}

/**
 * Runs the down files of exactly the migrations this promotion applied, newest first, each in its
 * own transaction that also deletes its schema_migrations row. Idempotent: what is undone is gone
 * from the table, so a second call undoes nothing. Returns the undone ids, newest first.
 */
export async function undoMigrationsWithDownFiles(url: string, dir: string, promotionId: string, progress: Progress = {}): Promise<{ undone: string[] }> {
  const target = databaseTarget(url);
  return withClient(target, progress, (client) =>
    withMigrationLock(client, progress, async () => {
      const mine = (await appliedMigrations(client, promotionId)).reverse();
      if (mine.length === 0) return { undone: [] };
      const files = new Map((await loadMigrations(dir)).map((m) => [BigInt(m.version), m]));
      const missing = mine.filter((row) => !files.get(BigInt(row.version))?.downFile).map((row) => `${row.version}_${row.name}.down.sql`);
      if (missing.length > 0) {
        throw ApplicationFailure.nonRetryable(`cannot undo by down migrations: ${missing.join(', ')} missing in ${dir}; nothing was undone`, FailureType.InvalidInput);
      }
      const undone: string[] = [];
      for (const row of mine) {
        progress.signal?.throwIfAborted();
        const migration = files.get(BigInt(row.version))!;
        progress.onProgress?.(`undoing ${migration.downFile}`);
        const sql = await fs.readFile(path.join(dir, migration.downFile!), 'utf8');
        await inTransaction(client, sql, migration.downFile!, `${row.version}_${row.name}`, {
          text: 'delete from schema_migrations where version = $1 and promotion_id = $2',
          values: [row.version, promotionId],
        });
        undone.push(`${row.version}_${row.name}`);
      }
      return { undone };
    }),
  );
}

function checkForDrift(migrations: Migration[], applied: AppliedMigration[], dir: string): void {
  const files = new Map(migrations.map((m) => [BigInt(m.version), m]));
  const drifted: string[] = [];
  for (const row of applied) {
    // An applied migration with no file (an older release, a squash) is left alone.
    const file = files.get(BigInt(row.version));
    if (!file) continue;
    if (file.name !== row.name) {
      drifted.push(`version ${row.version} was applied as ${row.version}_${row.name} but the file is now ${file.upFile}`);
    } else if (file.checksum !== row.checksum) {
      drifted.push(`${file.upFile} (version ${row.version}) changed after it was applied (checksum ${row.checksum.slice(0, 12)}… applied, ${file.checksum.slice(0, 12)}… now)`);
    }
  }
  if (drifted.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `applied migrations in ${dir} have changed: ${drifted.join('; ')}. An applied migration must never be edited: add a new one instead`,
      FailureType.ChecksumDrift,
    );
  }
}

/**
 * BEGIN; the file's SQL; the bookkeeping statement; COMMIT. A SQL error rolls all of it back and
 * becomes a non-retryable MigrationFailed naming the file, the line and PostgreSQL's message;
 * a lost connection stays an ordinary (retryable) error, since the transaction rolled back.
 */
async function inTransaction(client: Client, sql: string, file: string, id: string, record: { text: string; values: unknown[] }): Promise<void> {
  await client.query('begin');
  let inFile = true;
  try {
    await client.query(sql); // simple query protocol: a file may hold many statements
    inFile = false;
    await client.query(record.text, record.values);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    if (isDatabaseError(error)) throw migrationFailure(error, inFile ? sql : undefined, file, id);
    throw error;
  }
}

function migrationFailure(error: DatabaseError, sql: string | undefined, file: string, id: string): ApplicationFailure {
  const where = sql !== undefined && error.position ? ` at line ${sql.slice(0, Number(error.position) - 1).split('\n').length}` : '';
  const extras = [error.detail && `detail: ${error.detail}`, error.hint && `hint: ${error.hint}`, error.where && `context: ${error.where}`].filter(Boolean);
  const message =
    `${file} failed${where}: ${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}` +
    (extras.length ? `; ${extras.join('; ')}` : '') +
    `. It was rolled back: ${id} left the schema and schema_migrations unchanged`;
  return ApplicationFailure.create({
    message,
    type: FailureType.MigrationFailed,
    nonRetryable: true,
    details: [{ file, sqlState: error.code ?? null }],
  });
}
