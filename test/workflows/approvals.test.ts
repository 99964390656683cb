import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { abortSignal, approveSignal, decideUpdate, rejectSignal, statusQuery } from '../../common/messages';
import type { PromotionPlan } from '../../common/plan';
import type { PromotionStatus } from '../../common/status';
import { samplePlan } from '../helpers/fixtures';
import { environment, runPromotion, step, waitForStatus } from '../helpers/promotions';
import { hold, stubActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer } from '../helpers/temporal-env';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ALLOWED = 'olivia, dana@example.com, sam';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

/** A notify stub that holds the production gate open (accepting decisions) until the test lets go. */
function heldGate() {
  const gate = hold();
  const stub = stubActivities({ notify: async ({ event }) => (event === 'approval-waiting' ? gate.here() : undefined) });
  return { gate, stub };
}

/**
 * Runs a promotion and acts on it at its held gate; whatever happens, the hold is let go. When
 * the acting fails, the failure is rethrown only after the promotion has ended on its own
 * (with the clock skipping, in seconds): the test fails at once instead of hanging on a worker
 * that cannot shut down around a held activity, and leaves nothing behind for the next test.
 * Terminating it instead would not do: the test server never gives back the time-skipping lock
 * of an activity that is running when its workflow is terminated, so the clock would stop
 * skipping for every later test in the file.
 */
async function runAtGate(
  { gate, stub }: ReturnType<typeof heldGate>,
  plan: PromotionPlan,
  act: (handle: WorkflowHandle) => Promise<void>,
): Promise<{ status: PromotionStatus; handle: WorkflowHandle }> {
  let failure: { error: unknown } | undefined;
  const result = await runPromotion(env, stub.activities, plan, async (handle) => {
    try {
      await gate.arrived;
      await act(handle);
    } catch (error) {
      failure = { error };
    } finally {
      gate.release();
    }
  });
  if (failure) throw failure.error;
  return result;
}

type Stub = ReturnType<typeof stubActivities>;

/** Every activity call that named production, as `activity:event-or-environment`. */
const productionCalls = (stub: Stub) => stub.calls.filter((c) => c.input.environment === 'production').map((c) => (c.name === 'notify' ? `notify:${c.input.event}` : c.name));

function expectProductionUntouched(stub: Stub, status: PromotionStatus): void {
  for (const name of ['deploy', 'setCanaryWeight', 'migrateDatabase', 'backupDatabase', 'promote'] as const) {
    expect(stub.callsTo(name, 'production')).toHaveLength(0);
  }
  // The check before dev, then only the two notifications: the gate announced itself, then the outcome.
  expect(productionCalls(stub)).toEqual(['prepare', 'notify:approval-waiting', 'notify:failed']);
  // Past the gate nothing ran: not even the lock was requested.
  expect(environment(status, 'production').steps.map((s) => s.name)).toEqual(['approval']);
  expect(environment(status, 'production').stageWorkflowId).toBeUndefined();
  expect(status.environments.map((e) => [e.name, e.state])).toEqual([
    ['dev', 'succeeded'],
    ['staging', 'succeeded'],
    ['production', 'rejected'],
  ]);
}

/** Production went the whole way: backup, migrations, the 25% canary, then promoted to 100%. */
function expectProductionReleased(stub: Stub): void {
  // Repeats collapsed: how many health checks stabilize makes is not this file's business.
  expect(productionCalls(stub).filter((name, i, all) => name !== all[i - 1])).toEqual([
    'prepare', // before dev, then again by production's stage
    'notify:approval-waiting',
    'prepare',
    'backupDatabase',
    'migrateDatabase',
    'setCanaryWeight',
    'analyze',
    'promote',
    'checkHealth',
    'notify:succeeded',
  ]);
  expect(stub.callsTo('setCanaryWeight', 'production').map((c) => c.input.weight)).toEqual([25]);
}

/** The Update's refusal, as the CLI sees it: the error and the messages down its cause chain. */
async function refusedUpdate(promise: Promise<unknown>): Promise<{ error: unknown; messages: string }> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error('the Update was accepted, but it should have been refused');
  const messages: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) messages.push(e.message);
  return { error, messages: messages.join(' <- ') };
}

const decide = (handle: WorkflowHandle, approver: string, comment?: string) => handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', environment: 'production', approver, comment }] });

/**
 * Stops the test server's clock from skipping (it then runs at wall speed) until the returned
 * function is called. Locks are counted by the server: this adds one of ours on top of the
 * ones it holds for running activities and pending workflow tasks.
 */
async function stopClock(env: TestWorkflowEnvironment): Promise<() => Promise<void>> {
  const testService = env.connection.testService!;
  await testService.lockTimeSkipping({});
  return async () => void (await testService.unlockTimeSkipping({}));
}

/**
 * Resolves once the production gate has started its deadline timer: it has announced itself
 * and waits for decisions. Had it been satisfied already, `condition` would start no timer and
 * the approval step would end: that fails at once.
 */
async function gateTimerStarted(handle: WorkflowHandle): Promise<void> {
  const summaryOf = (data?: Uint8Array | null) => (data ? String(JSON.parse(Buffer.from(data).toString('utf8'))) : '');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { events } = await handle.fetchHistory();
    const timers = (events ?? []).filter((e) => e.timerStartedEventAttributes).map((e) => summaryOf(e.userMetadata?.summary?.data));
    if (timers.some((summary) => summary.startsWith('approval of production'))) return;
    const approval = step(await handle.query(statusQuery), 'production', 'approval');
    if (approval?.state !== 'waiting') throw new Error(`the production gate stopped waiting: ${JSON.stringify(approval)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the production approval gate never started its deadline timer');
}

describe('production approval', () => {
  test('an approval that arrives 3 days after the gate opened still promotes (the timeout is 96h)', async () => {
    const held = heldGate();
    const { gate, stub } = held;
    const plan = samplePlan((config) => {
      config.environments.find((e) => e.name === 'production')!.approval!.timeout = 96 * HOUR;
    });
    let deadline = '';
    const { status, handle } = await runAtGate(held, plan, async (handle) => {
      deadline = environment(await handle.query(statusQuery), 'production').approval!.deadline!;
      // The test server skips time only while nobody holds a time-skipping lock; it holds
      // one itself for each running activity and pending workflow task, and outcome(),
      // awaiting the result alongside, has already given up the client's. Hence:
      // - env.sleep while the hold is kept does nothing useful: the clock crawls at wall
      //   speed and the held notify hits its 30s start-to-close timeout and is retried;
      // - "release the hold, then env.sleep('3 days')" passes, but by timing, not by
      //   construction: the sleep gives up a lock the test does not hold (one the server
      //   holds for the activity or a workflow task), and whether the approval comes before
      //   the skip to the 96h deadline depends on when its RPC lands.
      // So the test takes a lock of its own while the held activity still keeps the clock
      // still, then lets the gate announce itself and start its 96h timer at wall speed.
      // env.sleep gives up exactly that lock: the server skips to the earliest timer, the
      // sleep's own at +3 days (nothing else is running), and locks again there. The
      // approval is sent at that instant, and only then is the clock given back.
      const resumeClock = await stopClock(env);
      try {
        gate.release();
        await gateTimerStarted(handle);
        await env.sleep('3 days');
        await handle.signal(approveSignal, { environment: 'production', approver: 'olivia', comment: 'back from leave' });
      } finally {
        await resumeClock();
      }
    });

    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(status.state).toBe('succeeded');
    expect(status.environments.map((e) => [e.name, e.state])).toEqual([
      ['dev', 'succeeded'],
      ['staging', 'succeeded'],
      ['production', 'succeeded'],
    ]);
    const approval = environment(status, 'production').approval!;
    expect(approval.deadline).toBe(deadline);
    expect(approval.received).toEqual([{ approver: 'olivia', decision: 'approve', comment: 'back from leave', via: 'signal', at: expect.any(String) }]);
    const openedAt = Date.parse(deadline) - 96 * HOUR;
    const approvedAt = Date.parse(approval.received[0].at);
    expect(approvedAt - openedAt).toBeGreaterThanOrEqual(3 * DAY);
    expect(approvedAt - openedAt).toBeLessThan(3 * DAY + HOUR);
    expect(approvedAt).toBeLessThan(Date.parse(deadline));
    expect(step(status, 'production', 'approval')).toMatchObject({ state: 'succeeded', detail: 'approve by olivia' });
    expectProductionReleased(stub);
  });

  test('no decision before the deadline rejects production (onTimeout defaults to reject)', async () => {
    const stub = stubActivities();
    const plan = samplePlan();
    expect(plan.environments.find((e) => e.name === 'production')!.approval).toMatchObject({ onTimeout: 'reject', timeout: 72 * HOUR });
    const { status, handle } = await runPromotion(env, stub.activities, plan);

    expect((await handle.describe()).status.name).toBe('FAILED');
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause?.message).toBe('production: rejected: no decision within 3d');
    expect(status.state).toBe('rejected');
    expectProductionUntouched(stub, status);

    const production = environment(status, 'production');
    expect(production.approval!.received).toEqual([{ approver: 'ferry', decision: 'reject', via: 'timeout', at: expect.any(String) }]);
    const timedOutAt = Date.parse(production.approval!.received[0].at);
    expect(timedOutAt).toBeGreaterThanOrEqual(Date.parse(production.approval!.deadline!));
    expect(timedOutAt - Date.parse(production.approval!.deadline!)).toBeLessThan(60_000);
    // 72h reads as 3d.
    expect(step(status, 'production', 'approval')).toMatchObject({ state: 'failed', error: 'no decision within 3d' });
    expect(production.error).toBe('no decision within 3d');
    expect(status.error).toBe('production: rejected: no decision within 3d');
  });

  test('a rejection by signal stops the promotion before production, with its reason', async () => {
    const held = heldGate();
    const { stub } = held;
    const reason = 'wait for the payment provider maintenance to end';
    const { status, handle } = await runAtGate(held, samplePlan(), async (handle) => {
      await handle.signal(rejectSignal, { environment: 'production', approver: 'sam', reason });
      await waitForStatus(handle, (s) => environment(s, 'production').approval!.received.length === 1, 'the rejection recorded');
    });

    expect((await handle.describe()).status.name).toBe('FAILED');
    expect(status.state).toBe('rejected');
    expectProductionUntouched(stub, status);
    const production = environment(status, 'production');
    expect(production.approval!.received).toEqual([{ approver: 'sam', decision: 'reject', comment: reason, via: 'signal', at: expect.any(String) }]);
    expect(step(status, 'production', 'approval')).toMatchObject({ state: 'failed', detail: 'reject by sam' });
    expect(production.error).toContain(reason);
    expect(status.error).toContain(reason);
    const failure = await handle.result().catch((e: unknown) => e);
    expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'ApprovalRejected', message: expect.stringContaining(reason) });
    expect(stub.callsTo('notify', 'production').map((c) => c.input.text)).toEqual([expect.stringContaining('waits for approval of production'), expect.stringContaining(reason)]);
  });

  test('approvers off the allow-list and self-approvals are refused, by Update and by signal', async () => {
    const held = heldGate();
    const { stub } = held;
    // dana@example.com wrote the commit (stub AUTHOR) and sam started the promotion: both are on
    // the allow-list, so self-approval is the only reason to refuse them.
    const plan = samplePlan(undefined, { requestedBy: 'sam' });
    let returned: unknown;
    const { status, handle } = await runAtGate(held, plan, async (handle) => {
      const mallory = await refusedUpdate(decide(handle, 'mallory'));
      expect(mallory.error).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(mallory.messages).toContain(`mallory may not decide on production (allowed: ${ALLOWED})`);
      const author = await refusedUpdate(decide(handle, 'dana@example.com'));
      expect(author.error).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(author.messages).toContain('dana@example.com wrote or started this release and may not approve it (self-approval is not allowed)');
      // Identities compare without case or surrounding spaces.
      const shouting = await refusedUpdate(decide(handle, '  DANA@Example.COM '));
      expect(shouting.messages).toMatch(/self-approval is not allowed/);
      const requester = await refusedUpdate(decide(handle, 'sam'));
      expect(requester.messages).toContain('sam wrote or started this release and may not approve it (self-approval is not allowed)');

      await handle.signal(approveSignal, { environment: 'production', approver: 'mallory' });
      await handle.signal(approveSignal, { environment: 'production', approver: 'dana@example.com' });
      await handle.signal(approveSignal, { environment: 'production', approver: 'sam' });
      const waiting = await waitForStatus(handle, (s) => s.ignored.length === 3, 'three refused signals');
      expect(waiting.ignored).toEqual([
        {
          name: 'approve',
          reason: `mallory may not decide on production (allowed: ${ALLOWED})`,
          payload: JSON.stringify({ environment: 'production', approver: 'mallory' }),
          from: 'mallory',
          at: expect.any(String),
        },
        {
          name: 'approve',
          reason: 'dana@example.com wrote or started this release and may not approve it (self-approval is not allowed)',
          payload: JSON.stringify({ environment: 'production', approver: 'dana@example.com' }),
          from: 'dana@example.com',
          at: expect.any(String),
        },
        {
          name: 'approve',
          reason: 'sam wrote or started this release and may not approve it (self-approval is not allowed)',
          payload: JSON.stringify({ environment: 'production', approver: 'sam' }),
          from: 'sam',
          at: expect.any(String),
        },
      ]);
      expect(waiting.state).toBe('waiting');
      expect(environment(waiting, 'production').state).toBe('waiting');
      expect(environment(waiting, 'production').approval!.received).toEqual([]);
      expect((await handle.describe()).status.name).toBe('RUNNING');

      returned = await decide(handle, 'olivia', 'reviewed the diff');
    });

    expect(returned).toEqual({
      required: 1,
      approvers: ['olivia', 'dana@example.com', 'sam'],
      received: [{ approver: 'olivia', decision: 'approve', comment: 'reviewed the diff', via: 'update', at: expect.any(String) }],
      deadline: expect.any(String),
    });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(status.state).toBe('succeeded');
    expect(environment(status, 'production').state).toBe('succeeded');
    expect(environment(status, 'production').approval!.received).toEqual([{ approver: 'olivia', decision: 'approve', comment: 'reviewed the diff', via: 'update', at: expect.any(String) }]);
    // Refused Updates leave no trace in the workflow: the caller heard why at once.
    expect(status.ignored).toHaveLength(3);
    expectProductionReleased(stub);
  });

  test('malformed signals are recorded with what is wrong, and the gate keeps waiting', async () => {
    const held = heldGate();
    const { stub } = held;
    const { status, handle } = await runAtGate(held, samplePlan(), async (handle) => {
      await handle.signal(approveSignal, { environment: 42 });
      await handle.signal(approveSignal, 'yes');
      await handle.signal(abortSignal, {});
      const waiting = await waitForStatus(handle, (s) => s.ignored.length === 3, 'three malformed signals recorded');
      expect(waiting.ignored).toEqual([
        {
          name: 'approve',
          reason: 'environment: Invalid input: expected string, received number; approver: Invalid input: expected string, received undefined',
          payload: '{"environment":42}',
          at: expect.any(String),
        },
        // Not an object: there is no field to name, only what was expected.
        { name: 'approve', reason: 'Invalid input: expected object, received string', payload: '"yes"', at: expect.any(String) },
        {
          name: 'abort',
          reason: 'by: Invalid input: expected string, received undefined; reason: Invalid input: expected string, received undefined',
          payload: '{}',
          at: expect.any(String),
        },
      ]);
      expect(waiting.state).toBe('waiting');
      expect(waiting.abort).toBeUndefined();
      expect(environment(waiting, 'production').state).toBe('waiting');
      expect(environment(waiting, 'production').approval!.received).toEqual([]);
      expect((await handle.describe()).status.name).toBe('RUNNING');

      await handle.signal(approveSignal, { environment: 'production', approver: 'olivia' });
      await waitForStatus(handle, (s) => environment(s, 'production').approval!.received.length === 1, 'the approval recorded');
    });

    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(status.state).toBe('succeeded');
    expect(status.abort).toBeUndefined();
    expect(status.ignored).toHaveLength(3);
    expect(environment(status, 'production').approval!.received).toEqual([{ approver: 'olivia', decision: 'approve', via: 'signal', at: expect.any(String) }]);
    expectProductionReleased(stub);
  });

  test('a quorum of 2 waits after one approval, refuses the same approver twice, and proceeds on the second', async () => {
    const held = heldGate();
    const { gate, stub } = held;
    const plan = samplePlan((config) => {
      config.environments.find((e) => e.name === 'production')!.approval!.required = 2;
    });
    expect(plan.environments.find((e) => e.name === 'production')!.approval!.approvers).toEqual(['olivia', 'dana@example.com', 'sam']);
    let returned: unknown;
    const { status, handle } = await runAtGate(held, plan, async (handle) => {
      await handle.signal(approveSignal, { environment: 'production', approver: 'olivia' });
      await waitForStatus(handle, (s) => environment(s, 'production').approval!.received.length === 1, 'the first approval recorded');

      // Let the gate finish announcing itself with the clock stopped (see the first test), so
      // "still waiting" is the gate's own verdict after one approval, not the held announcement.
      const resumeClock = await stopClock(env);
      try {
        gate.release();
        await gateTimerStarted(handle);
        const waiting = await handle.query(statusQuery);
        expect(waiting.state).toBe('waiting');
        expect(environment(waiting, 'production').state).toBe('waiting');
        expect(step(waiting, 'production', 'approval')!.state).toBe('waiting');
        expect(step(waiting, 'production', 'lock')).toBeUndefined();

        const twice = await refusedUpdate(decide(handle, 'olivia'));
        expect(twice.error).toBeInstanceOf(WorkflowUpdateFailedError);
        expect(twice.messages).toContain('olivia has already decided on production');
        await handle.signal(approveSignal, { environment: 'production', approver: 'OLIVIA' });
        const afterTwice = await waitForStatus(handle, (s) => s.ignored.length === 1, 'the repeated approval refused');
        expect(afterTwice.ignored).toEqual([
          {
            name: 'approve',
            reason: 'OLIVIA has already decided on production',
            payload: JSON.stringify({ environment: 'production', approver: 'OLIVIA' }),
            from: 'OLIVIA',
            at: expect.any(String),
          },
        ]);
        expect(environment(afterTwice, 'production').approval!.received).toHaveLength(1);
        expect(environment(afterTwice, 'production').state).toBe('waiting');

        returned = await decide(handle, 'sam');
      } finally {
        await resumeClock();
      }
    });

    expect(returned).toMatchObject({
      required: 2,
      received: [
        { approver: 'olivia', decision: 'approve', via: 'signal' },
        { approver: 'sam', decision: 'approve', via: 'update' },
      ],
    });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(status.state).toBe('succeeded');
    expect(environment(status, 'production').approval!.received.map((r) => [r.approver, r.decision, r.via])).toEqual([
      ['olivia', 'approve', 'signal'],
      ['sam', 'approve', 'update'],
    ]);
    expect(step(status, 'production', 'approval')).toMatchObject({ state: 'succeeded', detail: 'approve by olivia, approve by sam' });
    expect(status.ignored).toHaveLength(1);
    expectProductionReleased(stub);
  });

  test('an approval by Update is recorded as validated, like one by signal (the approver trimmed)', async () => {
    const held = heldGate();
    let returned: unknown;
    const { status } = await runAtGate(held, samplePlan(), async (handle) => {
      returned = await decide(handle, '  olivia  ');
    });

    expect(status.state).toBe('succeeded');
    // The validator accepts the approver as the schema trims it; the record must say the same.
    expect(returned).toMatchObject({ received: [{ approver: 'olivia', via: 'update' }] });
    expect(environment(status, 'production').approval!.received).toEqual([{ approver: 'olivia', decision: 'approve', via: 'update', at: expect.any(String) }]);
  });
});
