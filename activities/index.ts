import type { Client } from '@temporalio/client';
import type { FerryActivities } from '../common/activity-contracts';
import { build, test } from './commands';
import { databaseActivities } from './database';
import { lockActivities } from './environment-lock';
import { resolveCommit } from './git';
import { notAvailable } from './not-available';

/** Everything a Ferry worker registers, one outside system per file. */
export function createActivities(client: Client): FerryActivities {
  return {
    ...lockActivities(client),
    resolveCommit,
    build,
    test,
    ...databaseActivities(),
    deploy: notAvailable('deploy', 'deployment target'),
    setCanaryWeight: notAvailable('setCanaryWeight', 'deployment target'),
    promote: notAvailable('promote', 'deployment target'),
    rollback: notAvailable('rollback', 'deployment target'),
    analyze: notAvailable('analyze', 'deployment target'),
    checkHealth: notAvailable('checkHealth', 'health check'),
    notify: notAvailable('notify', 'notification'),
  };
}
