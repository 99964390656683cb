import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { backupKeepSchema } from '../common/backup-keep';
import { durationSchema, formatDuration } from '../common/duration';
import { describeIssues, InvalidInputError } from '../common/problems';

/** Long enough for a typical build, migration or rollout step to finish when the worker is stopped. */
export const DEFAULT_SHUTDOWN_GRACE = '5m';
const MAX_SHUTDOWN_GRACE_MS = 24 * 3_600_000;

const workerEnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  FERRY_TASK_QUEUE: z.string().min(1).default('ferry'),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS_CA: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  /** Where local environments keep what runs in them; relative to the worker's directory. */
  FERRY_STATE_DIR: z.string().min(1).default('.ferry/environments'),
  /** How long running activities may go on after SIGINT/SIGTERM before they are cancelled. */
  FERRY_SHUTDOWN_GRACE: z
    .string()
    .max(40)
    .default(DEFAULT_SHUTDOWN_GRACE)
    .pipe(durationSchema)
    .refine((ms) => ms <= MAX_SHUTDOWN_GRACE_MS, `must be at most ${formatDuration(MAX_SHUTDOWN_GRACE_MS)}`),
  /** Finished backups kept per (app, environment); read by the database activities, checked here at start-up. */
  FERRY_BACKUP_KEEP: backupKeepSchema,
});

/** Every variable a worker (and the CLI, which connects the same way) reads. */
export const WORKER_ENV_VARS: readonly string[] = Object.keys(workerEnvSchema.shape);

export type WorkerSettings = ReturnType<typeof workerSettings>;

/** Where the worker connects and what it serves, from the environment, checked before anything starts. */
export function workerSettings(env: NodeJS.ProcessEnv = process.env) {
  // An empty variable counts as unset: CI systems pass secrets that were never set as "".
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = workerEnvSchema.safeParse(given);
  if (!parsed.success) throw new InvalidInputError('the worker environment', describeIssues(parsed.error));
  const s = parsed.data;
  if (!!s.TEMPORAL_TLS_CERT !== !!s.TEMPORAL_TLS_KEY) {
    throw new InvalidInputError('the worker environment', ['TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together']);
  }
  const read = (file: string | undefined) => (file ? fs.readFileSync(file) : undefined);
  const clientCert = read(s.TEMPORAL_TLS_CERT);
  const tls =
    clientCert || s.TEMPORAL_TLS_CA
      ? {
          serverRootCACertificate: read(s.TEMPORAL_TLS_CA),
          clientCertPair: clientCert ? { crt: clientCert, key: read(s.TEMPORAL_TLS_KEY)! } : undefined,
        }
      : undefined;
  return {
    address: s.TEMPORAL_ADDRESS,
    namespace: s.TEMPORAL_NAMESPACE,
    taskQueue: s.FERRY_TASK_QUEUE,
    tls: tls ?? (s.TEMPORAL_API_KEY ? true : undefined),
    apiKey: s.TEMPORAL_API_KEY,
    stateDir: path.resolve(s.FERRY_STATE_DIR),
    shutdownGraceMs: s.FERRY_SHUTDOWN_GRACE,
  };
}
