import { z } from 'zod';

export const DEFAULT_BACKUP_KEEP = 10;

/**
 * FERRY_BACKUP_KEEP: how many finished backups of an (app, environment) a worker keeps, the
 * running stage's included. Checked when the worker starts and again where backups are taken.
 */
export const backupKeepSchema = z.coerce
  .number({ error: 'must be a whole number of backups from 1 to 1000' })
  .int('must be a whole number of backups from 1 to 1000')
  .min(1, 'must be at least 1: the backup of the running stage is always kept')
  .max(1000, 'must be at most 1000')
  .default(DEFAULT_BACKUP_KEEP);
