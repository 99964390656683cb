// The lock's activities against a real Temporal dev server: what the lock learns about a party
// someone named in a hand-made acquire signal.
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { lockActivities } from '../../activities/environment-lock';
import { useDevServer } from '../helpers/dev-server';

const dev = useDevServer();

test('a holder named with a run ID that is not one is gone at once, not asked about for ever (the lock would stay with it until an unlock)', async () => {
  const locks = lockActivities(dev.client);
  const ghost = { workflowId: 'ferry-shop-ghost', runId: 'r' };
  await expect(locks.grantLock({ lockId: 'ferry-lock/shop/staging', holder: ghost })).resolves.toBe('gone');
  await expect(locks.checkHolder({ lockId: 'ferry-lock/shop/staging', holder: ghost })).resolves.toEqual({
    holds: false,
    why: 'ferry-shop-ghost (run r) is not a workflow run',
  });
});

test('a well-formed run ID of a workflow that does not exist is gone as well', async () => {
  const locks = lockActivities(dev.client);
  const ghost = { workflowId: 'ferry-shop-ghost', runId: '0f3a1c52-7d4e-4f5a-9b1e-2c3d4e5f6a7b' };
  await expect(locks.grantLock({ lockId: 'ferry-lock/shop/staging', holder: ghost })).resolves.toBe('gone');
});

test('a record asked of a lock whose worker never answers fails within its deadline, so a worker shutting down is not held up by it', async () => {
  const locks = lockActivities(dev.client);
  const lockId = 'ferry-lock/shop/unanswered';
  // An open lock nobody runs: the update is accepted by the server and never answered.
  await dev.client.workflow.start('environmentLock', { workflowId: lockId, taskQueue: 'no-worker-here', args: [{ queue: [] }] });
  try {
    // Without a deadline this waits for ever (the test's own timeout).
    const failure = await locks.recordRelease({ lockId, requester: { workflowId: 'ferry-shop-abc1234', runId: '0f3a1c52-7d4e-4f5a-9b1e-2c3d4e5f6a7b' } }).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(WorkflowUpdateRPCTimeoutOrCancelledError);
  } finally {
    await dev.client.workflow.getHandle(lockId).terminate('the test is over');
  }
}, 60_000);

test('a holder that claimed the lock is asked only whether its run is still open: one whose worker cannot answer its query holds it, one that closed does not', async () => {
  const locks = lockActivities(dev.client);
  const lockId = 'ferry-lock/shop/production';
  // An open promotion nobody runs: its own query is never answered.
  const run = await dev.client.workflow.start('promotion', { workflowId: 'ferry-shop-unanswering', taskQueue: 'no-worker-here', args: [] });
  const holder = { workflowId: run.workflowId, runId: run.firstExecutionRunId };
  try {
    await expect(locks.checkHolder({ lockId, holder, claimed: true })).resolves.toEqual({ holds: true });
    // Not claimed, or taken on its word (since): the holder itself is asked, and this one never answers.
    const asked = await Promise.all([
      locks.checkHolder({ lockId, holder }).catch((e: Error) => e),
      locks.checkHolder({ lockId, holder, since: new Date(0).toISOString(), claimed: true }).catch((e: Error) => e),
    ]);
    expect(asked.map((e) => (e as Error).message)).toEqual(['Failed to query Workflow', 'Failed to query Workflow']);
  } finally {
    await run.terminate('the test is over');
  }
  await expect(locks.checkHolder({ lockId, holder, claimed: true })).resolves.toEqual({ holds: false, why: 'ferry-shop-unanswering is terminated' });
}, 60_000);
