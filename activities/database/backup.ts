// Backups with pg_dump (custom format), one file per stage run, and restoring one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from 'pg';
import type { BackupResult } from '../../common/activity-contracts';
import { backupKeepSchema, DEFAULT_BACKUP_KEEP } from '../../common/backup-keep';
import { FailureType } from '../../common/errors';
import { databaseTarget, serverMajorVersion, withClient, type DatabaseTarget, type Progress } from './connection';
import { appliedMigrations, migrationsTableExists, withMigrationLock } from './migrations';
import { resolvePgTools, runTool, type PgTools } from './pg-tools';
import { removeStalePartials, partialFileFor, pruneBackups } from './backup-files';

/** FERRY_BACKUP_DIR, or <tmpdir>/ferry-backups. */
export function defaultBackupDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FERRY_BACKUP_DIR || path.join(os.tmpdir(), 'ferry-backups');
}

/** Whose backup it is. The run ID is the stage workflow's: `ferry retry` reuses the workflow ID, never the run. */
export interface BackupKey {
  app: string;
  environment: string;
  promotionId: string;
  runId: string;
}

/** A path segment that is safe on any file system; a name that had to change gets a hash, so two never meet. */
function segment(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 80);
  return safe === name && !name.includes('--') ? name : `${safe}-${createHash('sha256').update(name).digest('hex').slice(0, 10)}`;
}

const RUN_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * `<app>/<environment>/<promotion>--<run>.dump`, relative to the backup folder: one folder per
 * (app, environment), which is what pruning counts, and one file per run of a stage.
 */
export function backupPath(key: BackupKey): string {
  if (!RUN_ID.test(key.runId)) throw ApplicationFailure.nonRetryable(`"${key.runId.slice(0, 80)}" is not a workflow run ID`, FailureType.InvalidInput);
  return path.join(segment(key.app), segment(key.environment), `${segment(key.promotionId)}--${key.runId}.dump`);
}

const DUMP_MAGIC = Buffer.from('PGDMP');

/** Size and sha256 of a finished custom-format dump, or undefined when there is none. */
export async function describeBackup(file: string, runId: string): Promise<BackupResult | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const head = Buffer.alloc(DUMP_MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead < head.length || !head.equals(DUMP_MAGIC)) return undefined;
  } finally {
    await handle.close();
  }
  const { size } = await fs.stat(file);
  return { file, bytes: size, sha256: await fileSha256(file), runId };
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** FERRY_BACKUP_KEEP as this worker has it now; a bad value is a configuration error naming it. */
export function backupKeep(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = backupKeepSchema.safeParse(env.FERRY_BACKUP_KEEP || undefined);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`FERRY_BACKUP_KEEP "${String(env.FERRY_BACKUP_KEEP).slice(0, 40)}" ${parsed.error.issues[0].message}`, FailureType.InvalidInput);
  }
  return parsed.data;
}

export interface BackupOptions extends Progress, BackupKey {
  /** Folder of the backups (default: defaultBackupDir()). */
  dir?: string;
  /** How many finished backups of this (app, environment) to keep, this run's included (default 10). */
  keep?: number;
  /** When this attempt started: half-written dumps last touched before it are left over (default: now). */
  startedAt?: number;
  /** A backup a rollback is about to restore: never pruned by this one. */
  spare?: string;
}

/**
 * pg_dump --format=custom into <dir>/<backupPath(key)>. Idempotent within a run: the dump is
 * written to a .partial file and renamed only when complete, so an existing file is a finished
 * backup of this run and is returned as it is. Another run of the same workflow ID (a retry)
 * gets a file of its own. Before dumping, half-written files of attempts that are gone are
 * removed; afterwards only the newest `keep` backups of the (app, environment) are kept.
 */
export async function backupDatabase(url: string, options: BackupOptions): Promise<BackupResult> {
  const startedAt = options.startedAt ?? Date.now();
  const target = databaseTarget(url);
  const dir = path.resolve(options.dir ?? defaultBackupDir());
  const file = path.join(dir, backupPath(options));
  const folder = path.dirname(file);
  await fs.mkdir(folder, { recursive: true, mode: 0o700 });
  const removed = await removeStalePartials([folder, dir], startedAt);
  if (removed.length > 0) options.onProgress?.(`removed ${removed.length} half-written backups of attempts that are gone`);

  let done = await describeBackup(file, options.runId);
  if (done) {
    options.onProgress?.(`reusing this run's finished backup ${file}`);
  } else {
    await dump(target, file, options);
    done = await describeBackup(file, options.runId);
    if (!done) throw new Error(`pg_dump finished but ${file} is not a custom-format dump`);
  }
  const pruned = await pruneBackups(folder, file, options.keep ?? DEFAULT_BACKUP_KEEP, options.spare);
  if (pruned.length > 0) options.onProgress?.(`removed ${pruned.length} older backups of ${options.app}/${options.environment}`);
  return done;
}

async function dump(target: DatabaseTarget, file: string, options: Progress): Promise<void> {
  const tools = await withClient(target, options, async (client) => resolvePgTools(await serverMajorVersion(client)));
  const partial = partialFileFor(file);
  try {
    options.onProgress?.(`pg_dump ${tools.version} of ${target.redacted}`);
    await runTool(tools.pgDump, ['--format=custom', '--no-password', `--file=${partial}`, `--dbname=${target.toolUrl}`], {
      env: target.toolEnv,
      redact: target.redact,
      signal: options.signal,
      onTick: () =>
        void fs.stat(partial).then(
          (s) => options.onProgress?.(`pg_dump: ${s.size} bytes written`),
          () => options.onProgress?.('pg_dump: connecting'),
        ),
    });
    await fs.chmod(partial, 0o600);
    const handle = await fs.open(partial, 'r+');
    await handle.sync().finally(() => handle.close());
    await fs.rename(partial, file);
    await syncDir(path.dirname(file));
  } finally {
    await fs.rm(partial, { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  }
}

export interface RestoreOptions extends Progress {
  /** Only this promotion's migrations are reported as undone; with none of them to undo, nothing is restored. */
  promotionId: string;
  /** The run restoring: only a backup this run took is restored. */
  runId: string;
  /** This worker's backup folder (default: defaultBackupDir()). */
  dir?: string;
}

/**
 * Puts the database back to the backup this run took, atomically: one transaction (psql
 * --single-transaction) that first drops what was created after the backup (tables, views,
 * sequences, types, functions, schemas and extensions the backup does not have), then runs
 * pg_restore --clean --if-exists --no-owner's script. Refuses a backup of another run, finds the
 * file in this worker's backup folder, checks its sha256 first and schema_migrations afterwards.
 *
 * What is undone is what this promotion applied that the backup does not hold; with nothing of
 * that kind there is nothing to undo, and nothing is restored: a retry after a successful
 * restore, or a run that re-used migrations an earlier run applied, must not throw away newer writes.
 */
export async function restoreBackup(url: string, backup: BackupResult, options: RestoreOptions): Promise<{ undone: string[] }> {
  checkBackupRun(backup, options.runId);
  const target = databaseTarget(url);
  const file = await localBackupFile(backup, path.resolve(options.dir ?? defaultBackupDir()));
  return withClient(target, options, (client) =>
    withMigrationLock(client, options, async () => {
      const tools = resolvePgTools(await serverMajorVersion(client));
      const common = { env: target.toolEnv, redact: target.redact, signal: options.signal };
      const inBackup = new Set(await migrationsInBackup(tools, file, common));
      const mine = (await appliedMigrations(client, options.promotionId))
        .filter((m) => !inBackup.has(m.version))
        .reverse()
        .map((m) => `${m.version}_${m.name}`);
      if (mine.length === 0) return { undone: [] };
      await restoreWhole(client, tools, file, target, options, [...inBackup]);
      return { undone: mine };
    }),
  );
}

/** Drops what the backup does not have, restores it in one transaction, and checks schema_migrations came back as the backup has it. */
async function restoreWhole(client: Client, tools: PgTools, file: string, target: DatabaseTarget, progress: Progress, inBackup: string[]): Promise<void> {
  const common = { env: target.toolEnv, redact: target.redact, signal: progress.signal };
  progress.onProgress?.(`reading the contents of ${file}`);
  const toc = parseToc(await runTool(tools.pgRestore, ['--list', file], { ...common, captureStdout: true }));
  const prelude = await dropsForObjectsNotIn(client, toc);
  const preludeFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'ferry-restore-')), 'prelude.sql');
  try {
    await fs.writeFile(preludeFile, prelude.join('\n') + '\n', { mode: 0o600 });
    progress.onProgress?.(`restoring ${file} into ${target.redacted}`);
    await restoreInOneTransaction(tools, file, preludeFile, target, progress);
  } finally {
    await fs.rm(path.dirname(preludeFile), { recursive: true, force: true });
  }
  await verifyMigrationsTable(client, [...inBackup].sort(), file);
}

export interface EarlierRestoreOptions extends Progress {
  /** This worker's backup folder (default: defaultBackupDir()). */
  dir?: string;
}

/**
 * A rollback by restore: puts back a backup an earlier stage took (the one taken just before the
 * migrations of the release that replaced the one rolled back to), found in this worker's backup
 * folder and checked against its recorded sha256; it is refused, with nothing changed, when it is
 * gone or differs. When schema_migrations already holds exactly what the backup holds there is
 * nothing to revert and nothing is restored (a retry, or a release that added no migration):
 * writes made since must not be thrown away for nothing. Returns what was reverted, newest first.
 */
export async function restoreEarlierBackup(url: string, backup: BackupResult, options: EarlierRestoreOptions = {}): Promise<{ reverted: string[]; migrations: string[] }> {
  const target = databaseTarget(url);
  const file = await earlierBackupFile(backup, path.resolve(options.dir ?? defaultBackupDir()));
  return withClient(target, options, (client) =>
    withMigrationLock(client, options, async () => {
      const tools = resolvePgTools(await serverMajorVersion(client));
      const common = { env: target.toolEnv, redact: target.redact, signal: options.signal };
      const inBackup = await migrationsInBackup(tools, file, common);
      const now = await appliedMigrations(client);
      const kept = new Set(inBackup);
      const reverted = now
        .filter((m) => !kept.has(m.version))
        .reverse()
        .map((m) => `${m.version}_${m.name}`);
      const same = reverted.length === 0 && inBackup.length === now.length;
      if (!same) await restoreWhole(client, tools, file, target, options, inBackup);
      return { reverted, migrations: (await appliedMigrations(client)).map((m) => `${m.version}_${m.name}`) };
    }),
  );
}

/** The backup's file in this worker's folder, by the last three parts of its recorded name, with the sha256 it was recorded with. */
async function earlierBackupFile(backup: BackupResult, dir: string): Promise<string> {
  const parts = backup.file.split(/[\\/]/).slice(-3);
  if (parts.length < 3 || !parts[2].endsWith('.dump') || parts.some((part) => part === '..' || part === '.' || part === '')) {
    throw ApplicationFailure.nonRetryable(`${backup.file} is not the name of a Ferry backup; refusing to restore it, nothing was changed`, 'WrongBackup');
  }
  const file = path.join(dir, ...parts);
  const actual = await fileSha256(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    throw ApplicationFailure.nonRetryable(
      `the backup ${parts.join('/')} (taken as ${backup.file}) is no longer in this worker's backup folder ${dir} (FERRY_BACKUP_DIR) on ${os.hostname()}: ` +
        'it may have been pruned (FERRY_BACKUP_KEEP) or taken on another worker; nothing was changed',
      'BackupNotFound',
    );
  });
  if (actual !== backup.sha256) {
    throw ApplicationFailure.nonRetryable(
      `the backup ${file} has changed since it was taken (sha256 ${actual} instead of ${backup.sha256}); refusing to restore it, nothing was changed`,
      FailureType.ChecksumDrift,
    );
  }
  return file;
}

/** A backup of another run (an earlier run of a retried promotion) holds the database as it was then: restoring it loses every write since. */
function checkBackupRun(backup: BackupResult, runId: string): void {
  if (backup.runId !== runId) {
    throw ApplicationFailure.nonRetryable(
      `the backup ${backup.file} was taken by another run (${backup.runId ?? 'an older Ferry, which recorded none'}) than this one (${runId}): ` +
        'restoring it would throw away every write made since; refusing (restore it by hand with pg_restore if that is really meant)',
      'WrongBackup',
    );
  }
}

/**
 * The run's file in this worker's backup folder (its name says which run took it), and exactly
 * what backupDatabase reported. A worker that does not have it fails for good: another attempt
 * on the same worker would not find it either, and skipping the restore would leave the
 * migration in place.
 */
async function localBackupFile(backup: BackupResult, dir: string): Promise<string> {
  const relative = path.join(...backup.file.split(path.sep).slice(-3));
  if (!backup.file.endsWith(`--${backup.runId}.dump`) || relative.startsWith('..')) {
    throw ApplicationFailure.nonRetryable(`${backup.file} is not the name of a Ferry backup of run ${backup.runId}; refusing to restore it`, 'WrongBackup');
  }
  const file = path.join(dir, relative);
  const actual = await fileSha256(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    throw ApplicationFailure.nonRetryable(
      `this run's backup ${relative} (taken as ${backup.file}) is not in this worker's backup folder ${dir} (FERRY_BACKUP_DIR) on ${os.hostname()}: ` +
        "the environment's workers must share that folder, or the environment must have one worker; nothing was restored",
      'BackupNotFound',
    );
  });
  if (actual !== backup.sha256) {
    throw ApplicationFailure.nonRetryable(`the backup ${file} has changed since it was taken (sha256 ${actual} instead of ${backup.sha256}); refusing to restore it`, FailureType.ChecksumDrift);
  }
  return file;
}

/** pg_restore renders the script; psql runs the drops and it as one transaction that stops at the first error. */
async function restoreInOneTransaction(tools: PgTools, file: string, preludeFile: string, target: DatabaseTarget, progress: Progress): Promise<void> {
  const common = { env: target.toolEnv, redact: target.redact, signal: progress.signal };
  let script: Readable | undefined;
  const renderer = runTool(tools.pgRestore, ['--clean', '--if-exists', '--no-owner', '--file=-', file], {
    ...common,
    onSpawn: (child) => (script = child.stdout!),
  });
  const applier = runTool(tools.psql, ['-X', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', '--single-transaction', `--file=${preludeFile}`, '--file=-', `--dbname=${target.toolUrl}`], {
    ...common,
    stdin: script,
    onTick: () => progress.onProgress?.('restoring'),
  });
  // psql's failure is the one that explains; pg_restore then only reports a broken pipe.
  const [rendered, applied] = await Promise.allSettled([renderer, applier]);
  if (applied.status === 'rejected') throw applied.reason;
  if (rendered.status === 'rejected') throw rendered.reason;
}

interface TocEntry {
  type: string;
  schema: string;
  /** The rest of the line: name (and, for functions, the signature) and owner. */
  rest: string;
}

const TOC_TYPES = [
  'MATERIALIZED VIEW DATA',
  'MATERIALIZED VIEW',
  'FOREIGN TABLE',
  'SEQUENCE OWNED BY',
  'SEQUENCE SET',
  'TABLE DATA',
  'EXTENSION',
  'PROCEDURE',
  'AGGREGATE',
  'FUNCTION',
  'SEQUENCE',
  'DOMAIN',
  'SCHEMA',
  'TABLE',
  'TYPE',
  'VIEW',
];

/** `pg_restore --list`: lines like "215; 1259 16390 TABLE public orders postgres". */
export function parseToc(list: string): TocEntry[] {
  const entries: TocEntry[] = [];
  for (const line of list.split('\n')) {
    const match = /^\d+;\s+\d+\s+\d+\s+(.*)$/.exec(line.trimEnd());
    if (!match) continue;
    const type = TOC_TYPES.find((t) => match[1].startsWith(`${t} `));
    if (!type) continue;
    const [schema, ...rest] = match[1].slice(type.length + 1).split(' ');
    entries.push({ type, schema, rest: rest.join(' ') });
  }
  return entries;
}

/**
 * DROP statements for the objects in the database that the backup does not have, so that
 * restoring gives back the database as it was, not the backup plus what came later.
 * Objects that belong to an extension go with their extension.
 */
async function dropsForObjectsNotIn(client: Client, toc: TocEntry[]): Promise<string[]> {
  // A TOC line ends with the owner ("orders postgres"), functions carry their arguments ("add(integer) postgres").
  // Dropping too much is harmless (whatever the backup has, its script creates again); too little leaves leftovers.
  const has = (types: string[], schema: string, name: string, open?: string) =>
    toc.some((e) => types.includes(e.type) && e.schema === schema && (open ? e.rest.startsWith(`${name}${open}`) : e.rest === name || e.rest.slice(0, e.rest.lastIndexOf(' ')) === name));
  const { rows } = await client.query<{ kind: string; schema: string; name: string; drop: string }>(`
    with user_ns as (
      select oid, nspname from pg_namespace
       where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg\\_toast%' and nspname not like 'pg\\_temp%'
    ), ext_member as (
      select classid, objid from pg_depend where deptype = 'e'
    )
    select 'schema' as kind, '-' as schema, n.nspname as name, format('drop schema if exists %I cascade;', n.nspname) as drop
      from user_ns n
     where n.nspname <> 'public' and (n.oid) not in (select objid from ext_member where classid = 'pg_namespace'::regclass)
    union all
    select 'extension', '-', e.extname, format('drop extension if exists %I cascade;', e.extname)
      from pg_extension e where e.extname <> 'plpgsql'
    union all
    select case c.relkind when 'v' then 'view' when 'm' then 'matview' when 'S' then 'sequence' when 'f' then 'foreign' else 'table' end,
           n.nspname, c.relname,
           format('drop %s if exists %I.%I cascade;',
                  case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' when 'f' then 'foreign table' else 'table' end,
                  n.nspname, c.relname)
      from pg_class c join user_ns n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
       and c.oid not in (select objid from ext_member where classid = 'pg_class'::regclass)
       -- a serial/identity sequence goes with its table
       and not (c.relkind = 'S' and exists (
             select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid
                and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')))
    union all
    select case t.typtype when 'd' then 'domain' else 'type' end, n.nspname, t.typname,
           format('drop %s if exists %I.%I cascade;', case t.typtype when 'd' then 'domain' else 'type' end, n.nspname, t.typname)
      from pg_type t join user_ns n on n.oid = t.typnamespace
     where (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and (select relkind from pg_class where oid = t.typrelid) = 'c'))
       and t.oid not in (select objid from ext_member where classid = 'pg_type'::regclass)
    union all
    select case p.prokind when 'a' then 'aggregate' else 'routine' end, n.nspname, p.proname,
           format('drop %s if exists %s cascade;', case p.prokind when 'a' then 'aggregate' else 'routine' end, p.oid::regprocedure)
      from pg_proc p join user_ns n on n.oid = p.pronamespace
     where p.oid not in (select objid from ext_member where classid = 'pg_proc'::regclass)
  `);
  const tocTypes: Record<string, { types: string[]; open?: string }> = {
    schema: { types: ['SCHEMA'] },
    extension: { types: ['EXTENSION'] },
    table: { types: ['TABLE'] },
    view: { types: ['VIEW'] },
    matview: { types: ['MATERIALIZED VIEW'] },
    sequence: { types: ['SEQUENCE'] },
    foreign: { types: ['FOREIGN TABLE'] },
    type: { types: ['TYPE'] },
    domain: { types: ['DOMAIN'] },
    routine: { types: ['FUNCTION', 'PROCEDURE'], open: '(' },
    aggregate: { types: ['AGGREGATE'], open: '(' },
  };
  const missing = rows.filter((row) => !has(tocTypes[row.kind].types, row.schema, row.name, tocTypes[row.kind].open));
  // What lives in a schema that is dropped anyway goes with it.
  const droppedSchemas = new Set(missing.filter((row) => row.kind === 'schema').map((row) => row.name));
  const drops = missing.filter((row) => row.schema === '-' || !droppedSchemas.has(row.schema)).map((row) => row.drop);
  // Extensions and schemas first: their members go with them, and IF EXISTS keeps the rest quiet.
  const order = (s: string) => (s.startsWith('drop extension') ? 0 : s.startsWith('drop schema') ? 1 : 2);
  return drops.sort((a, b) => order(a) - order(b));
}

/** The versions in the backup's schema_migrations ([] when it has none). */
async function migrationsInBackup(tools: PgTools, file: string, common: { env: NodeJS.ProcessEnv; redact: (s: string) => string; signal?: AbortSignal }): Promise<string[]> {
  const data = await runTool(tools.pgRestore, ['--data-only', '--table=schema_migrations', '--file=-', file], { ...common, captureStdout: true });
  return copyRows(data).map((row) => row[0]);
}

/** After a restore, schema_migrations must hold exactly the versions the backup holds. */
async function verifyMigrationsTable(client: Client, expected: string[], file: string): Promise<void> {
  const actual = (await migrationsTableExists(client)) ? (await appliedMigrations(client)).map((m) => m.version).sort() : [];
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    throw ApplicationFailure.nonRetryable(
      `the restore of ${file} finished but schema_migrations does not match the backup: it holds [${actual.join(', ')}], the backup [${expected.join(', ')}]`,
      FailureType.MigrationFailed,
    );
  }
}

/** The rows of the COPY ... FROM stdin blocks of a plain-text dump, split into columns. */
function copyRows(script: string): string[][] {
  const rows: string[][] = [];
  let inCopy = false;
  for (const line of script.split('\n')) {
    if (!inCopy) {
      inCopy = /^COPY .* FROM stdin;$/.test(line);
    } else if (line === '\\.') {
      inCopy = false;
    } else {
      rows.push(line.split('\t'));
    }
  }
  return rows;
}
