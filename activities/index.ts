import type { Client } from '@temporalio/client';
import type { FerryActivities } from '../common/activity-contracts';
import { build, test } from './commands';
import { databaseActivities } from './database';
import { lockActivities } from './environment-lock';
import { resolveCommit } from './git';
import { checkBranches, moveRef } from './git-refs';
import { notifyActivities } from './notify';
import { targetActivities, type TargetSettings } from './targets/activities';
import { verifyActivities } from './verify';

export type ActivitySettings = TargetSettings;

/** Everything a Ferry worker registers, one outside system per file. */
export function createActivities(client: Client, settings: ActivitySettings): FerryActivities {
  return {
    ...lockActivities(client),
    resolveCommit,
    checkBranches,
    moveRef,
    build,
    test,
    ...databaseActivities(),
    ...targetActivities(settings),
    ...verifyActivities(settings),
    ...notifyActivities(),
  };
}
