// A database URL, the secret inside it, and how to talk to the server without ever showing it.
import { ApplicationFailure } from '@temporalio/common';
import type { Client, DatabaseError } from 'pg';
import { FailureType } from '../../common/errors';

export interface DatabaseTarget {
  /** The URL as given, password included: for the pg client only, never printed. */
  url: string;
  /** The URL with its password replaced by `***`: safe for messages and logs. */
  redacted: string;
  /** The URL without any password, for pg_dump/pg_restore/psql's --dbname. */
  toolUrl: string;
  /** Environment for those tools: the password goes in PGPASSWORD, never on a command line. */
  toolEnv: NodeJS.ProcessEnv;
  /** Replaces the password (and the URL that holds it) in any text. */
  redact(text: string): string;
}

/** Connection progress and cancellation, passed down from the activity. */
export interface Progress {
  /** Called with a short description of what is happening now (the activity heartbeats with it). */
  onProgress?: (message: string) => void;
  /** Aborted when the activity is cancelled. */
  signal?: AbortSignal;
}

const PASSWORD_PARAMS = ['password'];

/** Parses a postgres:// or postgresql:// URL; anything else is a configuration error, reported without the value. */
export function databaseTarget(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw ApplicationFailure.nonRetryable('the database URL is not a valid URL (expected postgres://user:password@host:port/database)', FailureType.InvalidInput);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw ApplicationFailure.nonRetryable(`the database URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`, FailureType.InvalidInput);
  }
  const secrets: string[] = [];
  let password: string | undefined;
  if (parsed.password) {
    secrets.push(parsed.password);
    password = safeDecode(parsed.password);
    parsed.password = '';
  }
  for (const key of PASSWORD_PARAMS) {
    const value = parsed.searchParams.get(key);
    if (value !== null) {
      password ??= value;
      secrets.push(value, encodeURIComponent(value));
      parsed.searchParams.delete(key);
    }
  }
  if (password) secrets.push(password, encodeURIComponent(password));
  const toolUrl = parsed.toString();
  const redactedUrl = new URL(toolUrl);
  if (password) redactedUrl.password = '***';
  const redacted = redactedUrl.toString();

  // Longest first, so a secret that contains another is replaced whole.
  const needles = [url, ...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  const redact = (text: string) => needles.reduce((out, needle) => out.split(needle).join(needle === url ? redacted : '***'), text);

  const toolEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PGCONNECT_TIMEOUT: process.env.PGCONNECT_TIMEOUT ?? '15',
    PGAPPNAME: 'ferry',
    // Quiet the "does not exist, skipping" notices of a --clean restore; errors still show.
    PGOPTIONS: [process.env.PGOPTIONS, '-c client_min_messages=warning'].filter(Boolean).join(' '),
  };
  if (password !== undefined) toolEnv.PGPASSWORD = password;
  return { url, redacted, toolUrl, toolEnv, redact };
}

/** A URL with its password replaced by `***`, or a placeholder when it cannot be parsed. */
export function redactUrl(url: string): string {
  try {
    return databaseTarget(url).redacted;
  } catch {
    return '<unparseable database URL>';
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// Loaded on first use: pg is a tenth of a second and megabytes of a worker's start-up, paid for
// nothing by a worker whose environments have no database.
const pg = () => require('pg') as typeof import('pg');

/** A PostgreSQL server's error. Loads pg if nothing has yet: only ever on an error path. */
export const isDatabaseError = (error: unknown): error is DatabaseError => error instanceof pg().DatabaseError;

/**
 * Runs `work` with one connected client, closed afterwards. Cancelling the signal closes the
 * connection, which ends whatever it waits on (a lock, a statement) and rolls back its transaction.
 */
export async function withClient<T>(target: DatabaseTarget, progress: Progress, work: (client: Client) => Promise<T>): Promise<T> {
  progress.signal?.throwIfAborted();
  const client = new (pg().Client)({ connectionString: target.url, application_name: 'ferry', connectionTimeoutMillis: 15_000 });
  // An 'error' event without a listener would crash the worker (e.g. the server restarting while idle).
  client.on('error', () => undefined);
  const onAbort = () => void client.end().catch(() => undefined);
  progress.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    if (progress.signal?.aborted) throw progress.signal.reason ?? error;
    throw error;
  } finally {
    progress.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
}

/** The server's major version, e.g. 15 for 15.18 (server_version_num 150018). */
export async function serverMajorVersion(client: Client): Promise<number> {
  const { rows } = await client.query<{ v: string }>(`select current_setting('server_version_num') as v`);
  return Math.floor(Number(rows[0].v) / 10_000);
}
