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
  const released = new Set<string>();
  setHandler(lockAcquireSignal, ({ requester }) => {
    if (!queue.includes(requester)) queue.push(requester);
  });
  setHandler(lockReleaseSignal, ({ requester }) => {
    // A requester that gave up before its turn leaves the queue; the holder releases the lock.
    const index = queue.indexOf(requester);
    if (index >= 0) queue.splice(index, 1);
    else released.add(requester);
  });

  for (;;) {
    // Nobody waiting: end, and let the next promotion start a fresh lock.
    if (queue.length === 0) return;
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof environmentLock>(queue);
    const holder = queue.shift()!;
    try {
      await getExternalWorkflowHandle(holder).signal(lockGrantedSignal, { lock: workflowInfo().workflowId });
    } catch {
      continue; // the requester is gone; the next one gets its turn
    }
    await condition(() => released.has(holder));
    released.delete(holder);
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
