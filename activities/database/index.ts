// The worker's PostgreSQL activities: backups, migrations and undoing them, each in the release's
// own worktree (activities/worktree.ts). The parts that do the work take a folder and a URL and
// are exported for tests and scripts.
import type { DatabaseActivities } from '../../common/activity-contracts';
import { withWorktree } from '../worktree';
import { createDatabaseActivities } from './activities';

export function databaseActivities(): DatabaseActivities {
  return createDatabaseActivities({ withWorktree });
}

export { createDatabaseActivities, databaseUrl, migrationsDir, type DatabaseActivityDeps } from './activities';
export { backupDatabase, backupKeep, backupPath, defaultBackupDir, describeBackup, restoreBackup, restoreEarlierBackup, type BackupKey } from './backup';
export { databaseTarget, redactUrl } from './connection';
export { applyMigrations, loadMigrations, MIGRATION_LOCK_KEY, revertMigrationsWithDownFiles, undoMigrationsWithDownFiles } from './migrations';
export { resolvePgTools } from './pg-tools';
