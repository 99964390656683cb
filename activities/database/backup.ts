// Backups with pg_dump (custom format), one file per (promotion, environment), and restoring one.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from 'pg';
import type { BackupResult } from '../../common/activity-contracts';
import { FailureType } from '../../common/errors';
import { databaseTarget, serverMajorVersion, withClient, type DatabaseTarget, type Progress } from './connection';
import { appliedMigrations, migrationsTableExists, withMigrationLock } from './migrations';
import { resolvePgTools, runTool, type PgTools } from './pg-tools';

/** FERRY_BACKUP_DIR, or <tmpdir>/ferry-backups. */
export function defaultBackupDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FERRY_BACKUP_DIR || path.join(os.tmpdir(), 'ferry-backups');
}

/** A file name that is safe on any file system and unique per (promotion, environment). */
export function backupFileName(promotionId: string, environment: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  const name = `${safe(promotionId)}--${safe(environment)}`;
  const exact = name === `${promotionId}--${environment}` && !promotionId.includes('--') && !environment.includes('--');
  const suffix = exact ? '' : `-${createHash('sha256').update(JSON.stringify([promotionId, environment])).digest('hex').slice(0, 10)}`;
  return `${name}${suffix}.dump`;
}

const DUMP_MAGIC = Buffer.from('PGDMP');

/** Size and sha256 of a finished custom-format dump, or undefined when there is none. */
export async function describeBackup(file: string): Promise<BackupResult | undefined> {
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
  return { file, bytes: size, sha256: await fileSha256(file) };
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface BackupOptions extends Progress {
  /** Folder of the backups (default: defaultBackupDir()). */
  dir?: string;
  promotionId: string;
  environment: string;
}

/**
 * pg_dump --format=custom into <dir>/<promotion>--<environment>.dump. Idempotent: the dump is
 * written to a .partial file and renamed only when complete, so an existing file is a finished
 * backup of this promotion and is returned as it is, without dumping again.
 */
export async function backupDatabase(url: string, options: BackupOptions): Promise<BackupResult> {
  const target = databaseTarget(url);
  const dir = path.resolve(options.dir ?? defaultBackupDir());
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, backupFileName(options.promotionId, options.environment));
  const existing = await describeBackup(file);
  if (existing) {
    options.onProgress?.(`reusing the finished backup ${file}`);
    return existing;
  }

  const tools = await withClient(target, options, async (client) => resolvePgTools(await serverMajorVersion(client)));
  const partial = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
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
    await syncDir(dir);
  } finally {
    await fs.rm(partial, { force: true });
  }
  const done = await describeBackup(file);
  if (!done) throw new Error(`pg_dump finished but ${file} is not a custom-format dump`);
  return done;
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
  /** Only this promotion's migrations are reported as undone; with none applied, nothing is restored. */
  promotionId: string;
}

/**
 * Puts the database back to the backup, atomically: one transaction (psql --single-transaction)
 * that first drops what was created after the backup (tables, views, sequences, types, functions,
 * schemas and extensions the backup does not have), then runs pg_restore --clean --if-exists
 * --no-owner's script. Checks the file's sha256 first and schema_migrations afterwards.
 *
 * With none of this promotion's migrations in schema_migrations there is nothing to undo, and
 * nothing is restored: a retry after a successful restore must not throw away newer writes.
 */
export async function restoreBackup(url: string, backup: BackupResult, options: RestoreOptions): Promise<{ undone: string[] }> {
  const target = databaseTarget(url);
  return withClient(target, options, (client) =>
    withMigrationLock(client, options, async () => {
      const mine = (await appliedMigrations(client, options.promotionId)).reverse().map((m) => `${m.version}_${m.name}`);
      if (mine.length === 0) return { undone: [] };
      await checkBackupFile(backup);
      const tools = resolvePgTools(await serverMajorVersion(client));
      const common = { env: target.toolEnv, redact: target.redact, signal: options.signal };

      options.onProgress?.(`reading the contents of ${backup.file}`);
      const toc = parseToc(await runTool(tools.pgRestore, ['--list', backup.file], { ...common, captureStdout: true }));
      const prelude = await dropsForObjectsNotIn(client, toc);
      const preludeFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'ferry-restore-')), 'prelude.sql');
      try {
        await fs.writeFile(preludeFile, prelude.join('\n') + '\n', { mode: 0o600 });
        options.onProgress?.(`restoring ${backup.file} into ${target.redacted}`);
        await restoreInOneTransaction(tools, backup.file, preludeFile, target, options);
      } finally {
        await fs.rm(path.dirname(preludeFile), { recursive: true, force: true });
      }

      await verifyMigrationsTable(client, tools, backup.file, common);
      return { undone: mine };
    }),
  );
}

/** The file must be here and be exactly what backupDatabase reported. */
async function checkBackupFile(backup: BackupResult): Promise<void> {
  const actual = await fileSha256(backup.file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      // Retryable: on a task queue with several workers, another one may hold the file.
      throw ApplicationFailure.retryable(`the backup ${backup.file} is not on this worker (${os.hostname()})`, 'BackupNotFound');
    }
    throw error;
  });
  if (actual !== backup.sha256) {
    throw ApplicationFailure.nonRetryable(
      `the backup ${backup.file} has changed since it was taken (sha256 ${actual} instead of ${backup.sha256}); refusing to restore it`,
      FailureType.ChecksumDrift,
    );
  }
}

/** pg_restore renders the script; psql runs the drops and it as one transaction that stops at the first error. */
async function restoreInOneTransaction(tools: PgTools, file: string, preludeFile: string, target: DatabaseTarget, progress: Progress): Promise<void> {
  const common = { env: target.toolEnv, redact: target.redact, signal: progress.signal };
  let script: Readable | undefined;
  const renderer = runTool(tools.pgRestore, ['--clean', '--if-exists', '--no-owner', '--file=-', file], {
    ...common,
    onSpawn: (child) => (script = child.stdout!),
  });
  const applier = runTool(
    tools.psql,
    ['-X', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', '--single-transaction', `--file=${preludeFile}`, '--file=-', `--dbname=${target.toolUrl}`],
    { ...common, stdin: script, onTick: () => progress.onProgress?.('restoring') },
  );
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
    toc.some(
      (e) =>
        types.includes(e.type) &&
        e.schema === schema &&
        (open ? e.rest.startsWith(`${name}${open}`) : e.rest === name || e.rest.slice(0, e.rest.lastIndexOf(' ')) === name),
    );
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

/** After a restore, schema_migrations must hold exactly the versions the backup holds. */
async function verifyMigrationsTable(
  client: Client,
  tools: PgTools,
  file: string,
  common: { env: NodeJS.ProcessEnv; redact: (s: string) => string; signal?: AbortSignal },
): Promise<void> {
  const data = await runTool(tools.pgRestore, ['--data-only', '--table=schema_migrations', '--file=-', file], { ...common, captureStdout: true });
  const expected = copyRows(data).map((row) => row[0]).sort();
  const actual = (await migrationsTableExists(client)) ? (await appliedMigrations(client)).map((m) => m.version).sort() : [];
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    throw ApplicationFailure.nonRetryable(
      `the restore finished but schema_migrations does not match the backup: it holds [${actual.join(', ')}], the backup [${expected.join(', ')}]`,
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
