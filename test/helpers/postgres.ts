// A real PostgreSQL for database tests: the server in DATABASE_URL when it is set, else a fresh
// embedded one (scripts/embedded-postgres.js) per test file. Each test gets its own database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../scripts/embedded-postgres';

/** Has characters that must be URL-encoded, so the tests also prove the URL handling. */
export const TEST_PASSWORD = 'Fe#rry s3cret/pa:ss@word';

export interface TestPostgres {
  /** e.g. "PostgreSQL 15.18 (embedded)". */
  description: string;
  /** A new, empty database; returns its URL (with the password). */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

let counter = 0;
const folders: string[] = [];

export async function startTestPostgres(): Promise<TestPostgres> {
  let embedded: EmbeddedPostgres | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres({ password: TEST_PASSWORD });
    adminUrl = embedded.url('postgres');
  }
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const version = (await admin.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0].v;
  const created: string[] = [];
  return {
    description: `PostgreSQL ${version} (${embedded ? 'embedded' : 'DATABASE_URL'})`,
    async createDatabase() {
      const name = `ferry_test_${process.pid}_${++counter}`;
      await admin.query(`create database ${name}`);
      created.push(name);
      const url = new URL(adminUrl!);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      if (!embedded) {
        for (const name of created) await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
      }
      await admin.end();
      await embedded?.stop();
      for (const dir of folders.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The password in a URL, decoded: what must never show in an error or a log. */
export function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

/** The same URL with a password the server will refuse. */
export function withWrongPassword(url: string): string {
  const wrong = new URL(url);
  wrong.password = encodeURIComponent(`${passwordOf(url)}-wrong`);
  return wrong.toString();
}

/** One query on a short-lived connection. */
export async function query<R extends Record<string, unknown> = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Row count and an md5 over every row in `order`: equal fingerprints mean equal contents. */
export async function fingerprint(url: string, table: string, order = 'id'): Promise<{ rows: number; md5: string }> {
  const [row] = await query<{ rows: string; md5: string }>(url, `select count(*) as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t.${order}), '')) as md5 from ${table} t`);
  return { rows: Number(row.rows), md5: row.md5 };
}

export async function tableExists(url: string, table: string): Promise<boolean> {
  const [row] = await query<{ exists: boolean }>(url, 'select to_regclass($1) is not null as exists', [table]);
  return row.exists;
}

/** schema_migrations as `version_name → promotion`, oldest first ([] when the table is missing). */
export async function migrationRows(url: string): Promise<Array<{ id: string; promotion: string | null; applied_at: Date }>> {
  if (!(await tableExists(url, 'schema_migrations'))) return [];
  return query(url, `select version || '_' || name as id, promotion_id as promotion, applied_at from schema_migrations order by version::numeric`);
}

/** A temp folder of migration files (removed by `stop()`); `write` adds or changes files later. */
export function migrationFolder(files: Record<string, string>): { dir: string; write(more: Record<string, string>): void; remove(name: string): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-migrations-'));
  folders.push(dir);
  const write = (more: Record<string, string>) => {
    for (const [name, sql] of Object.entries(more)) fs.writeFileSync(path.join(dir, name), sql);
  };
  write(files);
  return { dir, write, remove: (name) => fs.rmSync(path.join(dir, name)) };
}

/** Prints how long a test file's database tests took, server start included. */
export function reportDuration(label: string): () => void {
  const started = Date.now();
  return () => console.info(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
