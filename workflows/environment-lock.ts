import { condition, continueAsNew, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import { lockAcquireSignal, lockGrantedSignal, lockReleaseSignal } from '../common/messages';
import { lockActivities } from './activities';

const { requestLock } = lockActivities();

/**
 * One per (app, environment): hands the environment to one promotion at a time, first come
 * first served. Requesters are workflow IDs; each is told `lockGranted` and sends `release`.
 */
export async function environmentLock(waiting: string[] = []): Promise<void> {
  const queue = [...waiting];
  let holder: string | undefined;
  let released = false;
  setHandler(lockAcquireSignal, ({ requester }) => {
    // A retried request (the activity may deliver it twice) must not queue the holder again.
    if (requester !== holder && !queue.includes(requester)) queue.push(requester);
  });
  setHandler(lockReleaseSignal, ({ requester }) => {
    if (requester === holder) {
      released = true;
      return;
    }
    const waitingAt = queue.indexOf(requester); // it gave up before its turn
    if (waitingAt >= 0) queue.splice(waitingAt, 1);
  });

  for (;;) {
    // Nobody waiting: end, and let the next promotion start a fresh lock.
    if (queue.length === 0) return;
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof environmentLock>(queue);
    holder = queue.shift()!;
    released = false;
    try {
      await getExternalWorkflowHandle(holder).signal(lockGrantedSignal, { lock: workflowInfo().workflowId });
    } catch {
      continue; // the requester is gone; the next one gets its turn
    }
    await condition(() => released);
    holder = undefined;
  }
}

/** The requester's side of the lock: ask, wait for the grant, release when done. */
export class EnvironmentLockClient {
  private granted = new Set<string>();

  constructor() {
    setHandler(lockGrantedSignal, ({ lock }) => void this.granted.add(lock));
  }

  /** Resolves true once this workflow holds the lock, false if `interrupted()` came first. */
  async acquire(lockId: string, interrupted: () => boolean): Promise<boolean> {
    await requestLock({ lockId, requester: workflowInfo().workflowId, taskQueue: workflowInfo().taskQueue }, `queue for ${lockId}`);
    await condition(() => this.granted.has(lockId) || interrupted());
    if (this.granted.has(lockId)) return true;
    await this.release(lockId); // leave the queue so the next promotion is not held up
    return false;
  }

  async release(lockId: string): Promise<void> {
    this.granted.delete(lockId);
    await getExternalWorkflowHandle(lockId).signal(lockReleaseSignal, { requester: workflowInfo().workflowId });
  }
}
