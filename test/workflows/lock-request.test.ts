// Asking for a lock by update: a free lock answers 'granted' at once, to the caller only. A
// request anyone sends from the Web UI naming someone else makes nobody act, and is checked (and
// dropped, without a trace in the ledger) as soon as a real promotion waits behind it.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ledgerQuery } from '../../common/ledger';
import { lockRequestUpdate, lockStateQuery, type LockState } from '../../common/messages';
import { lockWorkflowId, type PromotionPlan } from '../../common/plan';
import type { FerryConfig } from '../../common/config-schema';
import { samplePlan } from '../helpers/fixtures';
import { askAgain } from '../helpers/lock-queries';
import { locksSettled, outcome, startPromotion, waitForStatus, waitingForApproval } from '../helpers/promotions';
import { stubActivities, type StubbedActivities } from '../helpers/stub-activities';
import { lockActivities } from '../../activities/environment-lock';
import type { LockActivities } from '../../common/activity-contracts';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal-env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

/** How long the lock otherwise waits before it first asks a holder whether it still holds it. */
const FIRST_CHECK_MS = 30_000;

const devOnly = (config: FerryConfig) => {
  config.environments = config.environments.filter((e) => e.name === 'dev');
};
const lockId = lockWorkflowId('shop', 'dev');
const lock = () => env.client.workflow.getHandle(lockId);
const lockState = () => askAgain(env, () => lock().query(lockStateQuery));
const ledger = () => askAgain(env, () => lock().query(ledgerQuery));

/** One promotion through dev, which leaves dev's lock open and free, as every later one finds it. */
async function promoteToDev(plan: PromotionPlan = samplePlan(devOnly)) {
  const handle = await startPromotion(env, plan);
  const status = await outcome(handle);
  expect(status.state).toBe('succeeded');
  await locksSettled(env, status);
  return { status, handle };
}

const expectFree = (state: LockState) => expect({ holder: state.holder, queue: state.queue }).toEqual({ holder: undefined, queue: [] });

/** The lock answers updates only while a worker runs: each test runs on one. */
const onAWorker = (body: () => Promise<void>) => async () => {
  const worker = await startWorker(env, stubActivities().activities);
  await worker.runUntil(body);
};

/**
 * A request in `requester`'s name sent to the free lock, as anyone could from the Web UI; then a
 * real promotion through dev, which must queue behind that word, see it checked at once, and get
 * the environment. Returns what the lock refused.
 */
async function forgedRequestThenAPromotion(requester: { requester: string; runId: string }) {
  const answer = await lock().executeUpdate(lockRequestUpdate, { args: [requester] });
  expect(answer).toBe('granted'); // to the sender only: the named run never hears of it
  const held = await lockState();
  expect(held).toMatchObject({ holder: requester.requester, holderRunId: requester.runId, queue: [] });

  await promoteToDev();
  const after = await lockState();
  expect(after.holder).toBeUndefined();
  const refusal = after.ignored.find((m) => m.name === 'request')!;
  expect(refusal.reason).toMatch(new RegExp(`^${requester.requester} was granted ${lockId} on a request in its name but never claimed it: `));
  // Asked as soon as the promotion waited behind it, not when the lock would have asked anyway.
  expect(Date.parse(refusal.at) - Date.parse(held.since!)).toBeLessThan(FIRST_CHECK_MS);
  // It never held the environment, so the ledger says nothing of it.
  expect((await ledger()).unrecorded).toBeUndefined();
  expect(after.passedOn.map((p) => p.holder)).not.toContain(requester.requester);
  return refusal;
}

test(
  'a request naming a run that does not exist is granted on its word, then dropped as soon as a promotion waits behind it',
  onAWorker(async () => {
    await promoteToDev();
    const refusal = await forgedRequestThenAPromotion({ requester: 'ferry-shop-0000000', runId: '5d8f6a52-0000-4000-8000-000000000000' });
    expect(refusal.reason).toMatch(/does not exist$/);
  }),
);

test(
  'a request naming a promotion that closed before it is dropped the same way: a closed run cannot have held it',
  onAWorker(async () => {
    const { handle } = await promoteToDev();
    const runId = (await handle.describe()).runId;
    const refusal = await forgedRequestThenAPromotion({ requester: handle.workflowId, runId });
    expect(refusal.reason).toMatch(/is completed$/);
  }),
);

test(
  'a request naming a run that is not a workflow run is dropped; a malformed one is refused by the validator and changes nothing',
  onAWorker(async () => {
    await promoteToDev();
    await expect(lock().executeUpdate(lockRequestUpdate, { args: [{ requester: 'ferry-shop-1', runId: '' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(lock().executeUpdate(lockRequestUpdate, { args: [null] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    expectFree(await lockState());
    const refusal = await forgedRequestThenAPromotion({ requester: 'ferry-shop-2', runId: 'not-a-run' });
    // The real server refuses to look such a run up; the time-skipping one says it does not exist.
    expect(refusal.reason).toMatch(/(is not a workflow run|does not exist)$/);
  }),
);

test(
  'asking again while holding (a retried request whose answer was lost) answers granted and keeps the grant as it was',
  onAWorker(async () => {
    await promoteToDev();
    const holder = { requester: 'ferry-shop-3', runId: 'run-a' };
    expect(await lock().executeUpdate(lockRequestUpdate, { args: [holder] })).toBe('granted');
    const first = await lockState();
    expect(await lock().executeUpdate(lockRequestUpdate, { args: [holder] })).toBe('granted');
    expect(await lockState()).toMatchObject({ holder: holder.requester, holderRunId: holder.runId, since: first.since, queue: [] });
    await promoteToDev(); // and the made-up holder is dropped for it
    expectFree(await lockState());
  }),
);

test('a request that made its promotion the holder but whose answer never reached it (a busy lock, a lost answer) still ends in the grant: the promotion queues by signal, and the lock grants it again', async () => {
  const real = lockActivities(env.client);
  const stub = stubActivities();
  // The request reaches the lock, the answer is lost; then the promotion queues the other way.
  const answerLost: Pick<LockActivities, 'askForLock'> = {
    async askForLock(input) {
      await real.askForLock(input);
      await real.requestLock(input);
      return 'queued';
    },
  };
  const worker = await startWorker(env, { ...stub.activities, ...answerLost } as StubbedActivities);
  await worker.runUntil(async () => {
    const { status, handle } = await promoteToDev();
    expect(status.state).toBe('succeeded');
    const signals = ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => e.workflowExecutionSignaledEventAttributes!.signalName);
    expect(signals).toEqual(['lockGranted']);
    expect((await lockState()).ignored).toEqual([]);
  });
});

test('a request naming a promotion that was running (at another gate) and has since ended does not blame it: its own last word says it never held the lock', async () => {
  const waiting = samplePlan((config) => {
    config.environments = config.environments.filter((e) => e.name === 'production');
  });
  const worker = await startWorker(env, stubActivities().activities);
  await worker.runUntil(async () => {
    await promoteToDev(); // dev's lock open and free
    const named = await startPromotion(env, waiting);
    await waitForStatus(named, waitingForApproval('production'), 'waiting for approval');
    const runId = (await named.describe()).runId;
    expect(await lock().executeUpdate(lockRequestUpdate, { args: [{ requester: named.workflowId, runId }] })).toBe('granted');
    await named.signal('abort', { by: 'sre', reason: 'not this one' });
    await outcome(named);
    await promoteToDev();
    const after = await lockState();
    expect(after.holder).toBeUndefined();
    expect(after.ignored.find((m) => m.name === 'request')?.reason).toMatch(
      new RegExp(`^${named.workflowId} was granted ${lockId} on a request in its name but never claimed it: ${named.workflowId} is `),
    );
    expect((await ledger()).unrecorded).toBeUndefined();
  });
});

test('a request in the holder name that comes while the lock asks about the holder waits for that answer: a holder the answer drops is never told granted', async () => {
  const real = lockActivities(env.client);
  const ghost = { requester: 'ferry-shop-6', runId: '5d8f6a52-0000-4000-8000-000000000006' };
  const answers: string[] = [];
  // While the first check of the ghost is out, a request in its name comes (as if the run itself asked).
  const outrun: Pick<LockActivities, 'checkHolder'> = {
    async checkHolder(input) {
      const result = await real.checkHolder(input);
      if (answers.length === 0 && input.holder.workflowId === ghost.requester) {
        answers.push('asked');
        void lock()
          .executeUpdate(lockRequestUpdate, { args: [ghost] })
          .then((answer) => answers.push(answer));
      }
      return result;
    },
  };
  const worker = await startWorker(env, { ...stubActivities().activities, ...outrun } as StubbedActivities);
  await worker.runUntil(async () => {
    await promoteToDev();
    await lock().executeUpdate(lockRequestUpdate, { args: [ghost] });
    await promoteToDev();
    // Answered after the check dropped the ghost: queued behind the promotion, never granted.
    expect(answers).toEqual(['asked', 'queued']);
    expect((await lockState()).ignored.filter((m) => m.name === 'request')).toHaveLength(1);
    expectFree(await lockState());
  });
});
