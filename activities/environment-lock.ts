import type { Client } from '@temporalio/client';
import type { LockActivities } from '../common/activity-contracts';
import { lockAcquireSignal } from '../common/messages';

/** Joins an environment lock's queue, starting the lock workflow when none runs (atomically). */
export function lockActivities(client: Client): LockActivities {
  return {
    async requestLock({ lockId, requester, taskQueue }) {
      await client.workflow.signalWithStart('environmentLock', {
        workflowId: lockId,
        taskQueue,
        args: [[]],
        signal: lockAcquireSignal,
        signalArgs: [{ requester }],
        staticSummary: `one promotion at a time: ${lockId}`,
      });
    },
  };
}
