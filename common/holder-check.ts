import type { LockActivities } from './activity-contracts';

export type HolderCheck = Parameters<LockActivities['checkHolder']>[0];

/**
 * Whether a check of the lock's holder asks the holder itself (its own `lockClaims` query) or only
 * the server, whether its run is still open. The query is a workflow task on the holder's worker,
 * a replay of the whole promotion when that worker no longer caches it; a holder whose own query
 * said it claimed the lock lets go only by a release (after which the lock asks it again) or by
 * closing, which the server answers alone. One taken on its word (`since`) is always asked.
 */
export const checkAsksTheHolder = ({ since, claimed }: HolderCheck): boolean => claimed !== true || since !== undefined;
