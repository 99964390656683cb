// The hand-over of an environment (request, grant, confirm, the holder's record read by the lock)
// runs as local activities: one marker event each, no activity task, no workflow task to report it.
// A free lock answers the request itself: no grant, no confirmation. A check that asks the server
// only whether the holder's run is still open is a local activity too, and while nobody waits
// for the lock, the holder is checked only every five minutes (and at once by a run that starts
// over while the lock is held).
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { SignalDefinition } from '@temporalio/workflow';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { lockActivities } from '../../activities/environment-lock';
import type { LockActivities } from '../../common/activity-contracts';
import type { HolderCheck } from '../../common/holder-check';
import { MESSAGES_PER_RUN } from '../../workflows/environment-lock';
import { lockAcquireSignal, lockReleaseSignal, lockStateQuery, stageStatusQuery, unlockUpdate, type LockState } from '../../common/messages';
import { ledgerQuery } from '../../common/ledger';
import type { FerryConfig } from '../../common/config-schema';
import type { PromotionStatus } from '../../common/status';
import { lockWorkflowId, promotionWorkflowId, stageWorkflowId } from '../../common/plan';
import { samplePlan } from '../helpers/fixtures';
import { recordHistories, recordIdleLockHistory } from '../helpers/histories';
import { askAgain } from '../helpers/lock-queries';
import { locksSettled, outcome, runPromotion, startPromotion } from '../helpers/promotions';
import { hold, stubActivities, type StubbedActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal-env';
import { firstHoldsDevSecondQueues, lockState, releasedAfter, until } from '../helpers/two-promotions';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

const scheduled = (events: HistoryEvent[]) => events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);

/** The activity types of the local activities a history records (the SDK puts the type in the marker's details). */
const localActivities = (events: HistoryEvent[]) =>
  events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => {
      const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type : undefined;
    });

const signalNames = (events: HistoryEvent[]) =>
  events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).map((e) => e.workflowExecutionSignaledEventAttributes?.signalName);

const devOnly = (config: FerryConfig) => {
  config.environments = config.environments.filter((e) => e.name === 'dev');
};

const WEEK_SECONDS = 7 * 24 * 3600;
/** The timers a lock started for its checks (its weekly wake left out), in seconds, in order. */
const checkTimerSeconds = (events: HistoryEvent[]) =>
  events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED)
    .map((e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds))
    .filter((seconds) => seconds !== WEEK_SECONDS);

/** How long the lock waits between checks of a holder while nobody waits for it, and the first wait once someone does. */
const NOBODY_WAITS_CHECK_MS = 5 * 60_000;
const FIRST_WAITED_ON_CHECK_MS = 30_000;

test('a promotion through one environment asks the free lock, holds it on the answer, and is read by the lock, in local activities only', async () => {
  const plan = samplePlan(devOnly);
  const { status, handle } = await runPromotion(env, stubActivities().activities, plan);
  expect(status.state).toBe('succeeded');

  const promotion = (await handle.fetchHistory()).events ?? [];
  const lock = (await env.client.workflow.getHandle(lockWorkflowId(plan.app, 'dev')).fetchHistory()).events ?? [];
  const handover = ['requestLock', 'grantLock', 'confirmGrant', 'readHolderRecord'];
  expect(scheduled(promotion).filter((name) => handover.includes(name!))).toEqual([]);
  expect(scheduled(lock).filter((name) => handover.includes(name!))).toEqual([]);
  expect(localActivities(promotion)).toEqual(['askForLock']);
  // Nobody waited for the lock and the promotion held it under five minutes: never checked.
  expect(localActivities(lock)).toEqual(['readHolderRecord']);
  // The hold's one wait for a check, five minutes off, cut short by the record.
  expect(checkTimerSeconds(lock)).toEqual([NOBODY_WAITS_CHECK_MS / 1000]);
  expect(signalNames(promotion)).not.toContain('lockGranted');
  // The record itself is still an activity: it waits on the lock, which asks this promotion.
  expect(scheduled(promotion)).toContain('recordRelease');
  // The lock's history too (the promotion's is recorded by runPromotion), for the replay test.
  await recordIdleLockHistory(env, lockWorkflowId(plan.app, 'dev'));
});

test('a promotion that asks a held lock is queued, and is granted and confirms as before', async () => {
  let ids: string[] = [];
  await firstHoldsDevSecondQueues(env, devOnly, async ({ first, second, deployOfFirst }) => {
    deployOfFirst.release();
    const outcomes = [await outcome(first), await outcome(second)];
    await locksSettled(env, outcomes[1]);
    expect(outcomes.map((s) => s.state)).toEqual(['succeeded', 'succeeded']);
    await recordHistories(env, second);
    ids = [first.workflowId, second.workflowId];
  });
  const history = async (id: string) => (await env.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  expect(localActivities(await history(ids[0]))).toEqual(['askForLock']);
  expect(localActivities(await history(ids[1]))).toEqual(['askForLock', 'confirmGrant']);
  expect(signalNames(await history(ids[1]))).toEqual(['lockGranted']);
  const lock = await history(lockWorkflowId('shop', 'dev'));
  // The first, asked itself (an activity) when the second came, then 30 and 60 s later whether its
  // run is open; the second, granted and held with nobody waiting, never checked.
  expect(scheduled(lock)).toEqual(['checkHolder']);
  expect(localActivities(lock)).toEqual(['checkHolder', 'checkHolder', 'readHolderRecord', 'grantLock', 'readHolderRecord']);
});

/**
 * Sends `count` signals no lock takes, 50 at a time: anyone can send them from the Web UI, and each
 * one counts toward the run's fill of messages.
 */
async function sendJunk(lock: WorkflowHandle, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += 50) await Promise.all(Array.from({ length: Math.min(50, count - sent) }, () => lock.signal('not-a-lock-signal', {})));
}

/** How a check asked about the holder. */
const asked = (input: HolderCheck) => (input.since ? 'on its word' : input.claimed ? 'open?' : 'itself');

/**
 * `minutes` of stabilize under the lock (one health check, at the end): time for the lock's checks
 * of its holder, and none of them at the moment the hold ends.
 */
const devStabilizing = (minutes: number) => (config: FerryConfig) => {
  devOnly(config);
  config.environments[0].stabilize = minutes * 60_000;
  config.environments[0].healthCheckInterval = minutes * 60_000;
};

test('while nobody waits for the lock, it checks its holder every five minutes: one taken on its word is asked itself once, after that only whether its run is open, in a local activity', async () => {
  const plan = samplePlan(devStabilizing(17));
  const real = lockActivities(env.client);
  const checks: HolderCheck[] = [];
  const checkHolder: LockActivities['checkHolder'] = async (input) => {
    checks.push(input);
    return real.checkHolder(input);
  };
  const { status, handle } = await runPromotion(env, { ...stubActivities().activities, checkHolder } as StubbedActivities, plan);
  expect(status.state).toBe('succeeded');
  const holder = expect.objectContaining({ workflowId: handle.workflowId });
  const lockId = lockWorkflowId(plan.app, 'dev');
  // 5, 10 and 15 minutes after the grant; the hold ends before the fourth.
  expect(checks).toEqual([{ lockId, holder, since: expect.any(String) }, ...Array.from({ length: 2 }, () => ({ lockId, holder, claimed: true }))]);
  // Asked of the server alone, in the workflow task the lock's timer wakes: local activities.
  const lock = (await env.client.workflow.getHandle(lockId).fetchHistory()).events ?? [];
  expect(scheduled(lock).filter((name) => name === 'checkHolder')).toHaveLength(1);
  expect(localActivities(lock).filter((name) => name === 'checkHolder')).toHaveLength(2);
  expect(checkTimerSeconds(lock)).toEqual(Array.from({ length: 4 }, () => NOBODY_WAITS_CHECK_MS / 1000));
  // A lock's history with checks of an open holder in it, for the replay test.
  await recordIdleLockHistory(env, lockId);
});

/**
 * Runs a promotion that holds dev for a while; during the lock's second check (its first look at the
 * open run), `signal` is sent to the lock in the holder's name, as anyone may from the Web UI.
 * `activities` stand in for the lock's own. Resolves with how each check asked.
 */
async function checksAfterSignalInHoldersName(signal: SignalDefinition<[unknown]>, activities: Partial<LockActivities> = {}): Promise<string[]> {
  const plan = samplePlan(devStabilizing(32));
  const lock = env.client.workflow.getHandle(lockWorkflowId(plan.app, 'dev'));
  const real = lockActivities(env.client);
  const checks: HolderCheck[] = [];
  const checkHolder: LockActivities['checkHolder'] = async (input) => {
    checks.push(input);
    if (checks.length === 2) await lock.signal(signal, { requester: input.holder.workflowId, runId: input.holder.runId });
    return real.checkHolder(input);
  };
  const { status } = await runPromotion(env, { ...stubActivities().activities, checkHolder, ...activities } as StubbedActivities, plan);
  expect(status.state).toBe('succeeded');
  return checks.map(asked);
}

test('a release sent in the name of a holder that claimed the lock has the lock ask the holder itself, once', async () => {
  const checks = await checksAfterSignalInHoldersName(lockReleaseSignal);
  expect(checks.slice(0, 4)).toEqual(['on its word', 'open?', 'itself', 'open?']);
  expect(checks.slice(4)).not.toContain('itself');
});

/**
 * Runs a promotion that holds dev for a while, and has the lock continue as new after its
 * `endAfterCheck`-th check of the holder: during that check, junk signals (anyone can send them from
 * the Web UI) push the run past its messages, and then `release` (if true) is sent in the holder's
 * name. Resolves with how and when each check asked, and the refusals the new run kept by its
 * second check.
 */
async function checksAcrossNewRun(endAfterCheck: number, { release }: { release: boolean }): Promise<{ checks: { asked: string; at: number }[]; refusedInNewRun: string[] }> {
  const plan = samplePlan(devStabilizing(32));
  const lock = env.client.workflow.getHandle(lockWorkflowId(plan.app, 'dev'));
  const real = lockActivities(env.client);
  const checks: { asked: string; at: number }[] = [];
  let stateInNewRun: Promise<LockState> | undefined;
  const checkHolder: LockActivities['checkHolder'] = async (input) => {
    checks.push({ asked: asked(input), at: await env.currentTimeMs() });
    if (checks.length === endAfterCheck) {
      await sendJunk(lock, MESSAGES_PER_RUN + 1);
      if (release) await lock.signal(lockReleaseSignal, { requester: input.holder.workflowId, runId: input.holder.runId });
    }
    // Answered once this check's workflow task is done: not awaited here.
    if (checks.length === endAfterCheck + 2) stateInNewRun = lock.query(lockStateQuery);
    return real.checkHolder(input);
  };
  const { status } = await runPromotion(env, { ...stubActivities().activities, checkHolder } as StubbedActivities, plan);
  expect(status.state).toBe('succeeded');
  const started = (await lock.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
  expect(started?.continuedExecutionRunId).toBeTruthy();
  return { checks, refusedInNewRun: (await stateInNewRun!).ignored.map((m) => `${m.name}: ${m.reason}`) };
}

test('a release in the name of a holder, handled just before the lock continues as new, is not forgotten: the new run asks the holder itself', async () => {
  // The release comes while the first check (on its word) waits for the holder's answer; the run
  // ends right after it, the release not yet asked about.
  const { checks, refusedInNewRun } = await checksAcrossNewRun(1, { release: true });
  expect(checks.slice(0, 3).map((c) => c.asked)).toEqual(['on its word', 'itself', 'open?']);
  // Asked as the release's own check, carried into the new run: the holder still holds, so the release is refused.
  expect(refusedInNewRun).toEqual([expect.stringMatching(/^release: .* still holds .*: a release counts only from the holder$/)]);
});

test("a lock that continues as new while its holder holds asks the holder itself at the new run's first check: a run trusts only the answers it got", async () => {
  // Sent during the first look at the open run (a local activity): the run reads them after it,
  // and ends then, without waiting five minutes for its next check; the new run asks the holder
  // again at once, before trusting it.
  const { checks } = await checksAcrossNewRun(2, { release: false });
  expect(checks.slice(0, 4).map((c) => c.asked)).toEqual(['on its word', 'open?', 'itself', 'open?']);
  expect(checks[2].at - checks[1].at).toBeLessThan(FIRST_WAITED_ON_CHECK_MS);
  // The new run, its holder checked first, for the replay test.
  await recordIdleLockHistory(env, lockWorkflowId('shop', 'dev'));
});

test('a release in the name of the holder that is the message filling the run is answered before the run starts over, and the new run asks the holder again at once', async () => {
  const plan = samplePlan(devOnly);
  const lock = env.client.workflow.getHandle(lockWorkflowId(plan.app, 'dev'));
  const real = lockActivities(env.client);
  const checks: string[] = [];
  const checkHolder: LockActivities['checkHolder'] = async (input) => {
    checks.push(asked(input));
    return real.checkHolder(input);
  };
  // Held in its deploy, the promotion holds dev, and the test server's clock stands still.
  const deploy = hold();
  const stub = stubActivities({
    deploy: async () => {
      await deploy.here();
      return { previousVersion: 'shop:previous' };
    },
  });
  const worker = await startWorker(env, { ...stub.activities, checkHolder } as StubbedActivities);
  let status: PromotionStatus | undefined;
  let fullRunId = '';
  await worker.runUntil(
    releasedAfter(deploy, async () => {
      const handle = await startPromotion(env, plan);
      await deploy.arrived;
      fullRunId = (await lock.describe()).runId;
      // The run has read one message (the promotion's request); these bring it to its fill, and
      // the release takes it over, in the same workflow task or one of its own.
      await sendJunk(lock, MESSAGES_PER_RUN - 1);
      await lock.signal(lockReleaseSignal, { requester: handle.workflowId, runId: (await handle.describe()).runId });
      await until(
        async () => checks.length,
        (n) => n >= 2,
        'two checks',
      );
      expect((await lock.describe()).runId).not.toBe(fullRunId);
      deploy.release();
      status = await outcome(handle);
      await locksSettled(env, status);
    }),
  );
  expect(status?.state).toBe('succeeded');
  // The release answered in the full run (the holder taken on its word, asked itself), then asked again by the new one.
  expect(checks.slice(0, 2)).toEqual(['on its word', 'itself']);
  // The run that started over as soon as it was full, for the replay test.
  await recordIdleLockHistory(env, lock.workflowId, fullRunId);
});

test("an operator's unlock accepted while a full run waits for a record in flight takes the lock in that run, not lost with it", async () => {
  const plan = samplePlan(devOnly);
  const lock = env.client.workflow.getHandle(lockWorkflowId(plan.app, 'dev'));
  // The holder's record is read from it, and its worker does not answer: the lock keeps its holder.
  const reading = hold();
  const readHolderRecord: LockActivities['readHolderRecord'] = async () => {
    await reading.here();
    throw ApplicationFailure.nonRetryable("the holder's worker does not answer");
  };
  const worker = await startWorker(env, { ...stubActivities().activities, readHolderRecord } as StubbedActivities);
  let status: PromotionStatus | undefined;
  let fullRunId = '';
  let after: { runId: string; state: LockState } | undefined;
  await worker.runUntil(
    releasedAfter(reading, async () => {
      const handle = await startPromotion(env, plan);
      // Waited for from the start, so that the clock skips through its stabilize to the record.
      const done = outcome(handle);
      await reading.arrived;
      fullRunId = (await lock.describe()).runId;
      // The run fills while the record is read; it waits for that to end before it starts over.
      await sendJunk(lock, MESSAGES_PER_RUN + 1);
      // Read (each one refused) before the unlock comes: the run is by then waiting to start over.
      await until(
        async () => (await lock.query(lockStateQuery)).ignoredCount,
        (n) => n > MESSAGES_PER_RUN,
        'the junk read',
      );
      await lock.executeUpdate(unlockUpdate, { args: [{ by: 'sre', reason: 'its worker is gone', holder: handle.workflowId }] });
      reading.release();
      status = await done;
      await locksSettled(env, status);
      after = { runId: (await lock.describe()).runId, state: await lock.query(lockStateQuery) };
    }),
  );
  expect(status?.state).toBe('succeeded');
  expect(after?.runId).not.toBe(fullRunId);
  expect(after?.state.holder).toBeUndefined();
  expect(after?.state.passedOn.map((p) => p.why)).toEqual(['unlocked by sre: its worker is gone']);
});

test('a holder asked again whose re-grant finds it no longer claiming the lock is asked itself at the check that follows, not only whether its run is open', async () => {
  // A holder that let go of the lock without a word reaching it: its re-grant finds it gone.
  const grants: string[] = [];
  const grantLock: LockActivities['grantLock'] = async ({ holder }) => {
    grants.push(holder.workflowId);
    return 'gone';
  };
  // A run queued by signal in the holder's name (the holder included) is granted the lock again.
  const checks = await checksAfterSignalInHoldersName(lockAcquireSignal, { grantLock });
  expect(grants).toHaveLength(1);
  expect(checks.slice(0, 4)).toEqual(['on its word', 'open?', 'itself', 'open?']);
});

test('a holder nobody waits behind is checked as soon as someone comes to wait, and then at waits doubling from 30 s, not five minutes later', async () => {
  const plans = [samplePlan(devStabilizing(17)), samplePlan(devOnly)];
  const secondId = promotionWorkflowId(plans[1].app, plans[1].sha);
  const lockId = lockWorkflowId(plans[0].app, 'dev');
  const real = lockActivities(env.client);
  const checks: { asked: string; at: number }[] = [];
  // The second is held in its build, before it asks for the lock, and the test server's clock with it.
  const buildOfSecond = hold();
  let second: Promise<Awaited<ReturnType<typeof startPromotion>>> | undefined;
  const checkHolder: LockActivities['checkHolder'] = async (input) => {
    checks.push({ asked: asked(input), at: await env.currentTimeMs() });
    // At the second check (the holder claimed the lock, nobody waits) the second promotion starts;
    // it asks for the lock once the lock waits again, five minutes off.
    if (checks.length === 2) {
      second = startPromotion(env, plans[1]);
      await buildOfSecond.arrived;
    }
    return real.checkHolder(input);
  };
  const stub = stubActivities({
    build: async () => {
      if (Context.current().info.workflowExecution?.workflowId === secondId) await buildOfSecond.here();
      return { skipped: false, durationMs: 1_000 };
    },
  });
  const lockTimers = async () => checkTimerSeconds((await env.client.workflow.getHandle(lockId).fetchHistory()).events ?? []);
  const worker = await startWorker(env, { ...stub.activities, checkHolder } as StubbedActivities);
  let cameAt = 0;
  let states: string[] = [];
  await worker.runUntil(
    releasedAfter(buildOfSecond, async () => {
      const first = await startPromotion(env, plans[0]);
      // Waited for from the start, so that the clock skips through the first's hold to its second check.
      const firstOutcome = outcome(first);
      await buildOfSecond.arrived;
      await until(lockTimers, (timers) => timers.length >= 3, "the lock's third wait");
      cameAt = await env.currentTimeMs();
      buildOfSecond.release();
      const firstStatus = await firstOutcome;
      const secondStatus = await outcome(await second!);
      await locksSettled(env, secondStatus);
      states = [firstStatus.state, secondStatus.state];
    }),
  );
  expect(states).toEqual(['succeeded', 'succeeded']);
  expect(checks.slice(0, 4).map((c) => c.asked)).toEqual(['on its word', 'open?', 'open?', 'open?']);
  // Five minutes from the end of one check to the next (a local activity takes a few ms).
  expect(checks[1].at - checks[0].at).toBeGreaterThanOrEqual(NOBODY_WAITS_CHECK_MS);
  expect(checks[1].at - checks[0].at).toBeLessThan(NOBODY_WAITS_CHECK_MS + FIRST_WAITED_ON_CHECK_MS);
  // The third wait, five minutes off, was cut short when the second came; then 30 s and 60 s.
  expect(checks[2].at - cameAt).toBeLessThan(FIRST_WAITED_ON_CHECK_MS);
  expect((await lockTimers()).slice(0, 5)).toEqual([300, 300, 300, 30, 60]);
  // A lock's history with both kinds of wait in it, for the replay test.
  await recordIdleLockHistory(env, lockId);
});

test('a holder terminated while nobody waits for the lock is passed over within five minutes, and the ledger says it may have changed what runs there', async () => {
  const plan = samplePlan(devStabilizing(17));
  const lockId = lockWorkflowId(plan.app, 'dev');
  const worker = await startWorker(env, stubActivities().activities);
  await worker.runUntil(async () => {
    const handle = await startPromotion(env, plan);
    // Terminated in stabilize's timer, with no activity running (sdk-java#1138).
    const stage = env.client.workflow.getHandle(stageWorkflowId(handle.workflowId, 'dev'));
    await until(
      () => stage.query(stageStatusQuery),
      (s) => s.steps.some((st) => st.name === 'stabilize' && st.state === 'running'),
      'dev stabilizing',
    );
    const held = await until(lockState(env, plan.app, 'dev'), (s) => s.holder === handle.workflowId, 'the promotion holding dev');
    await handle.terminate('stuck, says the operator');
    await env.sleep(NOBODY_WAITS_CHECK_MS);
    const after = await lockState(env, plan.app, 'dev')();
    expect(after.holder).toBeUndefined();
    expect(after.passedOn).toEqual([{ at: expect.any(String), holder: handle.workflowId, why: `the holder no longer holds it: ${handle.workflowId} is terminated` }]);
    // Five minutes, and the few ms from the grant to the wait's start and of the check itself.
    expect(Date.parse(after.passedOn[0].at) - Date.parse(held.since!)).toBeLessThan(NOBODY_WAITS_CHECK_MS + 1_000);
    const ledger = await askAgain(env, () => env.client.workflow.getHandle(lockId).query(ledgerQuery));
    expect(ledger.unrecorded).toMatchObject({ by: handle.workflowId });
  });
});
