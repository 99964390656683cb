import type { Client } from '@temporalio/client';
import type { CommandActivities, DatabaseActivities, FerryActivities, GitActivities, HealthActivities, TargetActivities, VerifyActivities } from '../common/activity-contracts';
import { lockActivities } from './environment-lock';
import { notifyActivities } from './notify';
import type { TargetSettings } from './targets/activities';

export type ActivitySettings = TargetSettings;

/**
 * A group's activities under their names, its module (and the libraries it needs: pg, simple-git,
 * the local and Kubernetes targets) loaded on the first call of any of them, not at worker
 * start-up: an idle worker, or one whose environments never use a group, does not pay for it.
 * `names` lists every activity of the group (the type refuses one missing or one too many).
 */
function loadedOnFirstCall<T extends object>(names: Record<keyof T, true>, load: () => T): T {
  let loaded: T | undefined;
  const call =
    (name: keyof T) =>
    (...args: unknown[]) =>
      ((loaded ??= load())[name] as (...args: unknown[]) => unknown)(...args);
  return Object.fromEntries((Object.keys(names) as (keyof T)[]).map((name) => [name, call(name)])) as T;
}

/**
 * What the groups load on their first call: each must be there when the worker starts, so that an
 * install without one (a trimmed image, a failed npm ci) fails at start-up naming it, not as failed
 * steps mid-promotion whose undo needs the same module. Resolving evaluates nothing.
 */
const LOADED_ON_FIRST_CALL = ['./git', './git-refs', './commands', './database', 'pg', 'simple-git', './targets/activities', '@kubernetes/client-node', './verify'];

export function checkLoadable(resolve: (request: string) => string = require.resolve): void {
  const missing = LOADED_ON_FIRST_CALL.filter((request) => {
    try {
      resolve(request);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) throw new Error(`the worker's activities cannot load ${missing.join(', ')}: the install is incomplete (run npm ci, or rebuild the image)`);
}

/** Everything a Ferry worker registers, one outside system per file. */
export function createActivities(client: Client, settings: ActivitySettings): FerryActivities {
  checkLoadable();
  return {
    ...lockActivities(client),
    ...loadedOnFirstCall<GitActivities>({ resolveCommit: true, checkBranches: true, moveRef: true }, () => ({
      resolveCommit: (require('./git') as typeof import('./git')).resolveCommit,
      ...(require('./git-refs') as typeof import('./git-refs')),
    })),
    ...loadedOnFirstCall<CommandActivities>({ build: true, test: true }, () => require('./commands') as typeof import('./commands')),
    ...loadedOnFirstCall<DatabaseActivities>({ backupDatabase: true, migrateDatabase: true, undoMigrations: true, revertDatabase: true }, () =>
      (require('./database') as typeof import('./database')).databaseActivities(),
    ),
    ...loadedOnFirstCall<TargetActivities & HealthActivities>(
      { prepare: true, deploy: true, setCanaryWeight: true, promote: true, retirePrevious: true, rollback: true, analyze: true, checkHealth: true },
      () => (require('./targets/activities') as typeof import('./targets/activities')).targetActivities(settings),
    ),
    ...loadedOnFirstCall<VerifyActivities>({ verify: true }, () => (require('./verify') as typeof import('./verify')).verifyActivities(settings)),
    ...notifyActivities(),
  };
}
