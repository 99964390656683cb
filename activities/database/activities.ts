// The DatabaseActivities as the worker registers them: read the URL from the worker's environment,
// find the migrations in the release's worktree, heartbeat, honour cancellation, and make sure no
// password leaves in an error or a log line. The work itself is in migrations.ts and backup.ts.
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { BackupResult, DatabaseActivities, DatabaseInput, SourceRef } from '../../common/activity-contracts';
import { FailureType } from '../../common/errors';
import { backupDatabase, backupKeep, defaultBackupDir, restoreBackup, restoreEarlierBackup } from './backup';
import { databaseTarget, isDatabaseError, type Progress } from './connection';
import { applyMigrations, revertMigrationsWithDownFiles, undoMigrationsWithDownFiles } from './migrations';

export type WithWorktree = <T>(source: SourceRef, promotionId: string, work: (dir: string) => Promise<T>) => Promise<T>;

export interface DatabaseActivityDeps {
  /** Checks the release out (activities/worktree.ts) and runs `work` in it. */
  withWorktree: WithWorktree;
  /** Where the URLs, FERRY_BACKUP_DIR and FERRY_BACKUP_KEEP are read (default: process.env, at call time). */
  env?: () => NodeJS.ProcessEnv;
}

const HEARTBEAT_EVERY_MS = 5_000;

export function createDatabaseActivities(deps: DatabaseActivityDeps): DatabaseActivities {
  const env = deps.env ?? (() => process.env);

  return {
    backupDatabase: (input) => {
      const startedAt = Date.now();
      return run(input, env(), (url, progress) =>
        backupDatabase(url, {
          ...progress,
          dir: defaultBackupDir(env()),
          keep: backupKeep(env()),
          startedAt,
          ...(input.keepBackup ? { spare: input.keepBackup } : {}),
          // Stages started before the app was sent keep their backups per promotion instead.
          app: input.app ?? input.promotionId,
          environment: input.environment,
          promotionId: input.promotionId,
          runId: currentRunId(),
        }),
      );
    },

    migrateDatabase: (input) =>
      run(input, env(), (url, progress) =>
        deps.withWorktree(input.source, input.promotionId, (worktree) => applyMigrations(url, migrationsDir(worktree, input.database.migrations), input.promotionId, progress)),
      ),

    undoMigrations: (input) =>
      run(input, env(), (url, progress) => {
        if (input.database.undo === 'restore') {
          const backup = checkBackup(input.backup);
          return restoreBackup(url, backup, { ...progress, dir: defaultBackupDir(env()), promotionId: input.promotionId, runId: currentRunId() });
        }
        return deps.withWorktree(input.source, input.promotionId, (worktree) => undoMigrationsWithDownFiles(url, migrationsDir(worktree, input.database.migrations), input.promotionId, progress));
      }),

    revertDatabase: (input) =>
      run(input, env(), (url, progress) => {
        if (input.database.undo === 'restore') {
          if (!input.restore) {
            throw ApplicationFailure.nonRetryable(
              `the undo policy is "restore" but no backup taken before the migrations to revert is recorded (it needs backup: true when that release went live); nothing was changed`,
              FailureType.InvalidInput,
            );
          }
          return restoreEarlierBackup(url, input.restore, { ...progress, dir: defaultBackupDir(env()) });
        }
        const folder = input.database.migrations;
        return deps.withWorktree(input.live, input.promotionId, (liveTree) =>
          deps.withWorktree(input.source, input.promotionId, (targetTree) =>
            revertMigrationsWithDownFiles(url, { liveDir: migrationsDir(liveTree, folder), targetDir: migrationsDir(targetTree, folder) }, input.promotionId, progress),
          ),
        );
      }),
  };
}

/** The environment variable the config names, read on this worker; its absence is a configuration error. */
export function databaseUrl(urlEnv: string, env: NodeJS.ProcessEnv): string {
  const url = env[urlEnv];
  if (!url) {
    throw ApplicationFailure.nonRetryable(`the database URL variable ${urlEnv} is not set on this worker (the environment's database.urlEnv names it)`, FailureType.InvalidInput);
  }
  return url;
}

/** `database.migrations` inside the worktree; a path that leaves the worktree is refused. */
export function migrationsDir(worktree: string, migrations: string): string {
  const dir = path.resolve(worktree, migrations);
  const relative = path.relative(path.resolve(worktree), dir);
  if (path.isAbsolute(migrations) || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw ApplicationFailure.nonRetryable(`database.migrations "${migrations}" must be a folder inside the repository`, FailureType.InvalidInput);
  }
  return dir;
}

function checkBackup(backup: BackupResult | undefined): BackupResult {
  if (!backup?.file || !backup.sha256) {
    throw ApplicationFailure.nonRetryable('the undo policy is "restore" but this stage took no backup to restore (set backup: true for the environment)', FailureType.InvalidInput);
  }
  return backup;
}

/**
 * Resolves the URL, heartbeats with the latest progress while `work` runs (and at least every few
 * seconds, e.g. while waiting on the migration lock), passes the cancellation signal down, and
 * rewrites any failure so the password is not in it.
 */
async function run<T>(input: DatabaseInput, env: NodeJS.ProcessEnv, work: (url: string, progress: Progress) => Promise<T>): Promise<T> {
  const context = currentContext();
  let redact = (text: string) => text;
  let last = 'starting';
  const heartbeat = (message: string) => {
    last = message;
    context?.heartbeat(message);
  };
  const timer = context ? setInterval(() => context.heartbeat(last), HEARTBEAT_EVERY_MS) : undefined;
  try {
    const url = databaseUrl(input.database.urlEnv, env);
    const target = databaseTarget(url);
    redact = target.redact;
    context?.log.info(`database ${input.database.urlEnv} = ${target.redacted}`);
    return await work(url, {
      onProgress: (message) => {
        const safe = redact(message);
        context?.log.info(safe);
        heartbeat(safe);
      },
      signal: context?.cancellationSignal,
    });
  } catch (error) {
    throw redacted(error, redact);
  } finally {
    if (timer) clearInterval(timer);
  }
}

/** The stage workflow's run: what keys a backup, so that a retried promotion (same workflow ID, new run) never sees an earlier run's. */
function currentRunId(): string {
  const runId = currentContext()?.info.workflowExecution?.runId;
  if (!runId) throw ApplicationFailure.nonRetryable('backups are taken and restored by a stage workflow run only', FailureType.InvalidInput);
  return runId;
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called directly, outside a worker (tests, scripts)
  }
}

/** The same failure with the password taken out of its message; the original (and its stack) is dropped. */
function redacted(error: unknown, redact: (text: string) => string): unknown {
  if (error instanceof ApplicationFailure) {
    const message = redact(error.message);
    if (message === error.message) return error;
    return ApplicationFailure.create({ message, type: error.type ?? undefined, nonRetryable: error.nonRetryable ?? undefined, details: error.details ?? undefined });
  }
  if (error instanceof CancelledFailure) return error;
  if (isDatabaseError(error)) {
    return ApplicationFailure.create({ message: redact(`PostgreSQL: ${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}`), type: 'PostgresError' });
  }
  if (error instanceof Error) {
    return ApplicationFailure.create({ message: redact(error.message), type: error.name === 'Error' ? 'DatabaseError' : error.name });
  }
  return ApplicationFailure.create({ message: redact(String(error)), type: 'DatabaseError' });
}
