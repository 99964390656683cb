import type { Client } from '@temporalio/client';
import type { FerryActivities } from '../common/activity-contracts';
import { lockActivities } from './environment-lock';
import { notAvailable } from './not-available';

/** Everything a Ferry worker registers, one outside system per file. */
export function createActivities(client: Client): FerryActivities {
  return {
    ...lockActivities(client),
    resolveCommit: notAvailable('resolveCommit', 'git'),
    build: notAvailable('build', 'command runner'),
    test: notAvailable('test', 'command runner'),
    backupDatabase: notAvailable('backupDatabase', 'PostgreSQL'),
    migrateDatabase: notAvailable('migrateDatabase', 'PostgreSQL'),
    undoMigrations: notAvailable('undoMigrations', 'PostgreSQL'),
    deploy: notAvailable('deploy', 'deployment target'),
    setCanaryWeight: notAvailable('setCanaryWeight', 'deployment target'),
    promote: notAvailable('promote', 'deployment target'),
    rollback: notAvailable('rollback', 'deployment target'),
    analyze: notAvailable('analyze', 'deployment target'),
    checkHealth: notAvailable('checkHealth', 'health check'),
    notify: notAvailable('notify', 'notification'),
  };
}
