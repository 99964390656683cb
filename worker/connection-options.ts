import path from 'node:path';
import { z } from 'zod';
import { backupKeepSchema } from '../common/backup-keep';
import { durationSchema, formatDuration } from '../common/duration';
import { describeIssues, InvalidInputError } from '../common/problems';
import { CONNECTION_ENV_VARS, temporalConnection, type ConnectionFlags } from '../client/connection/temporal-connection';

/** Long enough for a typical build, migration or rollout step to finish when the worker is stopped. */
export const DEFAULT_SHUTDOWN_GRACE = '5m';
const MAX_SHUTDOWN_GRACE_MS = 24 * 3_600_000;
/** About 50 GB of cached Ferry workflows at ~0.5 MB each: past any worker's memory. */
const MAX_CACHED_WORKFLOWS = 100_000;
const cachedWorkflowsMessage = `must be a whole number of workflows from 2 to ${MAX_CACHED_WORKFLOWS}`;

const workerEnvSchema = z.object({
  FERRY_TASK_QUEUE: z.string().min(1).default('ferry'),
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
  /**
   * How many workflows the worker keeps in memory between their tasks (the SDK's
   * maxCachedWorkflows); an evicted one is replayed from its history when it next has work.
   * Unset: the SDK's default, which scales with the worker's heap limit.
   */
  FERRY_WORKER_MAX_CACHED_WORKFLOWS: z
    .string()
    .max(20, cachedWorkflowsMessage)
    .regex(/^-?\d+$/, cachedWorkflowsMessage)
    .transform(Number)
    // The SDK turns 1 into 2 and 0 into no cache at all (every task replays the whole history).
    .pipe(z.number().min(2, `must be at least 2 (the smallest cache the SDK keeps)`).max(MAX_CACHED_WORKFLOWS, `must be at most ${MAX_CACHED_WORKFLOWS}`))
    .optional(),
});

/**
 * The variables a worker reads for its connection (as the CLI reads them too, TEMPORAL_GRPC_META_*
 * aside: a prefix, not a name) and for what it serves. Its log and metrics variables are
 * TELEMETRY_ENV_VARS (worker/telemetry/telemetry-settings.ts), its tracing ones the OTEL_*
 * variables (common/tracing-settings.ts and the OpenTelemetry exporters).
 */
export const WORKER_ENV_VARS: readonly string[] = [...CONNECTION_ENV_VARS, ...Object.keys(workerEnvSchema.shape)];

export type WorkerSettings = ReturnType<typeof workerSettings>;

/**
 * Where the worker connects (client/connection: the same settings as the CLI's, profiles included)
 * and what it serves, from the environment, checked before anything starts.
 */
export function workerSettings(env: NodeJS.ProcessEnv = process.env, connectionFlags: ConnectionFlags = {}) {
  // An empty variable counts as unset: CI systems pass secrets that were never set as "".
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = workerEnvSchema.safeParse(given);
  if (!parsed.success) throw new InvalidInputError('the worker environment', describeIssues(parsed.error));
  const s = parsed.data;
  const connection = temporalConnection(env, connectionFlags);
  return {
    ...connection,
    taskQueue: s.FERRY_TASK_QUEUE,
    stateDir: path.resolve(s.FERRY_STATE_DIR),
    shutdownGraceMs: s.FERRY_SHUTDOWN_GRACE,
    maxCachedWorkflows: s.FERRY_WORKER_MAX_CACHED_WORKFLOWS,
  };
}
