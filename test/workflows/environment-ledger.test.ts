// Each environment's ledger, kept by its lock workflow: what runs there, by whose promotion and
// approval, the releases before it, and the last try that did not go live.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FerryConfig } from '../../common/config-schema';
import { ledgerQuery, recordReleaseUpdate, RELEASES_KEPT, type EnvironmentLedger } from '../../common/ledger';
import { approveSignal, lockStateQuery, unlockUpdate } from '../../common/messages';
import { lockWorkflowId, promotionWorkflowId, type PromotionPlan } from '../../common/plan';
import type { PromotionStatus } from '../../common/status';
import type { promotion } from '../../workflows';
import { lockActivities } from '../../activities/environment-lock';
import { samplePlan } from '../helpers/fixtures';
import { askAgain } from '../helpers/lock-queries';
import { environment, locksSettled, outcome, startPromotion, step, waitForStatus } from '../helpers/promotions';
import { hold, HEALTHY, stubActivities, unhealthy, type StubbedActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal-env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

const MINUTE = 60_000;
/** Each test its own app: the locks, and so the ledgers, of one server outlive each test. */
const devOnly = (app: string) => (config: FerryConfig) => {
  config.app = app;
  config.environments = config.environments.filter((e) => e.name === 'dev');
  config.environments[0].stabilize = MINUTE;
};
const lockOf = (app: string, name: string) => env.client.workflow.getHandle(lockWorkflowId(app, name));
const ask = <T>(query: () => Promise<T>): Promise<T> => askAgain(env, query);
const ledgerOf = (app: string, name: string): Promise<EnvironmentLedger> => ask(() => lockOf(app, name).query(ledgerQuery));
const lockStateOf = (app: string, name: string) => ask(() => lockOf(app, name).query(lockStateQuery));

/** One worker for the whole test: the test server's open locks (and their ledgers) end with it (see startWorker). */
async function onOneWorker<T>(activities: StubbedActivities, body: () => Promise<T>): Promise<T> {
  const worker = await startWorker(env, activities);
  return worker.runUntil(body);
}

async function promote(plan: PromotionPlan, during: (handle: WorkflowHandle<typeof promotion>) => Promise<void> = async () => undefined): Promise<PromotionStatus> {
  const handle = await startPromotion(env, plan);
  const [status] = await Promise.all([settled(handle), during(handle)]);
  return status;
}

/** A promotion's outcome, once the locks it held are free. */
async function settled(handle: WorkflowHandle<typeof promotion>): Promise<PromotionStatus> {
  const status = await outcome(handle);
  await locksSettled(env, status);
  return status;
}

/** The release a promotion made live in an environment, as its ledger should hold it. */
const releaseOf = (plan: PromotionPlan, status: PromotionStatus, name: string, approvedBy: string[] = []) => ({
  sha: plan.sha,
  ref: plan.ref,
  artifact: plan.artifact,
  wentLiveAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
  by: status.workflowId,
  kind: 'promotion',
  requestedBy: 'ci-bot',
  approvedBy,
  ...(environment(status, name).database?.migrations ? { migrations: environment(status, name).database!.migrations } : {}),
  ...(environment(status, name).database?.backupBefore ? { backupBefore: environment(status, name).database!.backupBefore } : {}),
});

test('after a promotion every environment it went through names that release as live, and its lock stays open, free', async () => {
  // Rolling, with seconds of stabilize: the stages need no skipped time before the approval is given.
  const plan = samplePlan((config) => {
    config.app = 'ledger-all';
    for (const e of config.environments) Object.assign(e, { stabilize: 2_000, healthCheckInterval: 1_000, strategy: { kind: 'rolling' } });
  });
  const { status, ledgers, locks, signalsSent } = await onOneWorker(stubActivities().activities, async () => {
    // Approved before anyone waits for the result: waiting for it lets the server skip time, and it
    // may skip to the gate's 72h deadline before the approval is in (then production never runs).
    const handle = await startPromotion(env, plan);
    await waitForStatus(handle, (s) => environment(s, 'production').approval !== undefined, 'production waits for approval');
    await handle.signal(approveSignal, { environment: 'production', approver: 'olivia', comment: 'ship it' });
    const status = await settled(handle);
    expect(status.state).toBe('succeeded');
    const names = ['dev', 'staging', 'production'];
    const ledgers = await Promise.all(names.map((name) => ledgerOf('ledger-all', name)));
    const locks = await Promise.all(names.map(async (name) => ({ run: (await lockOf('ledger-all', name).describe()).status.name, state: await lockStateOf('ledger-all', name) })));
    const signalsSent = (await handle.fetchHistory()).events?.filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED).length;
    return { status, ledgers, locks, signalsSent };
  });
  expect(status.state).toBe('succeeded');
  // Each lock let the promotion go with its record: no release signal to any of them.
  expect(signalsSent).toBe(0);

  for (const [i, name] of ['dev', 'staging', 'production'].entries()) {
    const ledger = ledgers[i];
    expect(ledger).toEqual({
      lockId: lockWorkflowId('ledger-all', name),
      app: 'ledger-all',
      environment: name,
      releases: [releaseOf(plan, status, name, name === 'production' ? ['olivia'] : [])],
      queue: [],
    });
    // Live once its stage was done there, before the next environment started.
    const wentLive = Date.parse(ledger.releases[0].wentLiveAt);
    expect(wentLive).toBeGreaterThanOrEqual(Date.parse(step(status, name, 'stabilize')!.endedAt!));
    expect(wentLive).toBeLessThanOrEqual(Date.parse(status.endedAt!));
    // No failed record step: the ledger took it.
    expect(environment(status, name).steps.map((s) => s.name)).not.toContain('record');
    // Free, and still open: the ledger lives on with it.
    expect(locks[i].run).toBe('RUNNING');
    expect(locks[i].state).toMatchObject({ queue: [], ignoredCount: 0 });
    expect(locks[i].state.holder).toBeUndefined();
  }
});

test('a stage that is rolled back leaves the live release in place and is the last attempt, until the next release goes live', async () => {
  const app = 'ledger-rollback';
  let healthy = true;
  const stub = stubActivities({ checkHealth: async () => (healthy ? HEALTHY : unhealthy('/healthz answered 503')) });
  const [first, failing, next] = [samplePlan(devOnly(app)), samplePlan(devOnly(app)), samplePlan(devOnly(app))];
  const { live, rolledBack, after, nextLive, latest } = await onOneWorker(stub.activities, async () => {
    const live = await promote(first);
    healthy = false;
    const rolledBack = await promote(failing);
    const after = await ledgerOf(app, 'dev');
    healthy = true;
    const nextLive = await promote(next);
    return { live, rolledBack, after, nextLive, latest: await ledgerOf(app, 'dev') };
  });
  expect(live.state).toBe('succeeded');
  expect(environment(rolledBack, 'dev').state).toBe('rolled-back');
  expect(stub.callsTo('rollback', 'dev')).toHaveLength(1);

  expect(after.releases).toEqual([releaseOf(first, live, 'dev')]);
  expect(after.lastAttempt).toEqual({
    sha: failing.sha,
    artifact: failing.artifact,
    at: expect.stringMatching(/^\d{4}-/),
    by: rolledBack.workflowId,
    kind: 'promotion',
    outcome: 'rolled-back',
    error: environment(rolledBack, 'dev').error,
  });
  expect(after.lastAttempt!.error).toMatch(/503/);

  expect(nextLive.state).toBe('succeeded');
  expect(latest.releases).toEqual([releaseOf(next, nextLive, 'dev'), releaseOf(first, live, 'dev')]);
  expect(latest.lastAttempt).toBeUndefined();
});

test(`${RELEASES_KEPT + 1} releases in one environment keep the latest ${RELEASES_KEPT}, newest first`, async () => {
  const app = 'ledger-many';
  const plans = Array.from({ length: RELEASES_KEPT + 1 }, () => samplePlan(devOnly(app)));
  const { states, ledger } = await onOneWorker(stubActivities().activities, async () => {
    const states = [];
    for (const plan of plans) states.push((await promote(plan)).state);
    return { states, ledger: await ledgerOf(app, 'dev') };
  });
  expect(states.every((state) => state === 'succeeded')).toBe(true);
  expect(ledger.releases).toHaveLength(RELEASES_KEPT);
  expect(ledger.releases.map((r) => r.sha)).toEqual(
    plans
      .slice(1)
      .map((p) => p.sha)
      .reverse(),
  );
});

describe('a forged recordRelease update (anyone can send one from the Web UI)', () => {
  test('naming the holder (sent first, under the update ID the holder itself would use), another run of it, someone else, or nobody well, records nothing and is refused; the holder then records', async () => {
    const app = 'ledger-forged';
    const deploying = hold();
    let holdDeploy = false;
    const stub = stubActivities({
      deploy: async () => {
        if (holdDeploy) await deploying.here();
        return { previousVersion: 'shop:previous' };
      },
    });
    const [earlier, plan] = [samplePlan(devOnly(app)), samplePlan(devOnly(app))];
    const r = await onOneWorker(stub.activities, async () => {
      const earlierStatus = await promote(earlier);
      const before = await ledgerOf(app, 'dev');
      holdDeploy = true;
      const handle = await startPromotion(env, plan);
      try {
        await deploying.arrived;
        const { runId } = await handle.describe();
        const forge = (payload: unknown, updateId?: string) =>
          ask(() => lockOf(app, 'dev').executeUpdate(recordReleaseUpdate, { args: [payload], updateId })).then(
            () => 'accepted',
            (error: unknown) => (error instanceof WorkflowUpdateFailedError ? String(error.cause?.message) : `unexpected: ${String(error)}`),
          );
        const refusals = {
          // The holder's run ID is public (lockState): an update ID made of it could be taken first.
          holder: await forge({ requester: handle.workflowId, runId }, `record/${runId}`),
          otherRun: await forge({ requester: handle.workflowId, runId: 'a-run-that-never-held-it' }),
          stranger: await forge({ requester: earlierStatus.workflowId, runId }),
          extraField: await forge({ requester: handle.workflowId, runId, record: { outcome: 'live' } }),
          bytes: await forge('x'.repeat(10_000)),
        };
        const during = await ledgerOf(app, 'dev');
        const stateDuring = await lockStateOf(app, 'dev');
        deploying.release();
        const status = await settled(handle);
        return { earlierStatus, before, refusals, during, stateDuring, status, after: await ledgerOf(app, 'dev') };
      } finally {
        deploying.release();
      }
    });

    const lockId = lockWorkflowId(app, 'dev');
    const holderId = promotionWorkflowId(app, plan.sha);
    expect(r.refusals.holder).toBe(`${holderId} has no record for ${lockId} in its own lockClaims answer: only the holder's own record counts`);
    expect(r.refusals.otherRun).toMatch(new RegExp(`^${lockId} is held by ${holderId} \\(run [^)]+\\), not ${holderId} \\(run a-run-that-never-held-it\\): only its holder records in its ledger$`));
    expect(r.refusals.stranger).toContain(`, not ${r.earlierStatus.workflowId} (run `);
    expect(r.refusals.extraField).toMatch(/record/);
    expect(r.refusals.bytes).not.toBe('accepted');
    expect(r.refusals.bytes).not.toMatch(/^unexpected/);
    // Nothing recorded while it held dev; the one refusal that got past the validator is on record.
    expect(r.before.releases).toEqual([releaseOf(earlier, r.earlierStatus, 'dev')]);
    expect(r.during.releases).toEqual(r.before.releases);
    expect(r.during.lastAttempt).toBeUndefined();
    expect(r.stateDuring.ignored.filter((m) => m.name === 'recordRelease').map((m) => m.reason)).toEqual([r.refusals.holder]);

    // The holder's own record still counts, once.
    expect(r.status.state).toBe('succeeded');
    expect(r.after.releases).toEqual([releaseOf(plan, r.status, 'dev'), ...r.before.releases]);
  });
});

test('an operator who takes the environment mid-stage leaves the stage as it is: the record is refused, the promotion goes on and says so; the ledger says who left it unrecorded until the next release goes live', async () => {
  const app = 'ledger-unlocked';
  const deploying = hold();
  let holdDeploy = true;
  const stub = stubActivities({ deploy: async () => (holdDeploy && (await deploying.here()), { previousVersion: 'shop:previous' }) });
  const [plan, next] = [samplePlan(devOnly(app)), samplePlan(devOnly(app))];
  const { status, ledger, nextStatus, nextLedger } = await onOneWorker(stub.activities, async () => {
    const handle = await startPromotion(env, plan);
    try {
      await deploying.arrived;
      await ask(() => lockOf(app, 'dev').executeUpdate(unlockUpdate, { args: [{ by: 'sre', reason: 'stuck', holder: handle.workflowId }] }));
    } finally {
      deploying.release();
    }
    const status = await settled(handle);
    const ledger = await ledgerOf(app, 'dev');
    holdDeploy = false;
    const nextStatus = await promote(next);
    return { status, ledger, nextStatus, nextLedger: await ledgerOf(app, 'dev') };
  });
  const lockId = lockWorkflowId(app, 'dev');
  expect(status.state).toBe('succeeded');
  expect(environment(status, 'dev').state).toBe('succeeded');
  const record = step(status, 'dev', 'record')!;
  expect(record).toMatchObject({ state: 'failed', attempts: 1 });
  expect(record.error).toBe(`${lockId} did not record this stage in its ledger: ${lockId} refused the record of ${status.workflowId}: nobody holds ${lockId}: only its holder records in its ledger`);
  expect(ledger.releases).toEqual([]);
  // The environment may run what the unlocked promotion left there: the ledger does not know.
  expect(ledger.unrecorded).toEqual({ by: status.workflowId, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), why: 'unlocked by sre: stuck' });

  expect(nextStatus.state).toBe('succeeded');
  expect(nextLedger.releases).toEqual([releaseOf(next, nextStatus, 'dev')]);
  expect(nextLedger.unrecorded).toBeUndefined();
});

test('the ledger (an unrecorded holder included), and what the lock refused, outlive continue-as-new; the new run stays open and keeps recording', async () => {
  const app = 'ledger-long';
  const [first, unlocked, second] = [samplePlan(devOnly(app)), samplePlan(devOnly(app)), samplePlan(devOnly(app))];
  const lock = lockOf(app, 'dev');
  const deploying = hold();
  let holdDeploy = false;
  const stub = stubActivities({ deploy: async () => (holdDeploy && (await deploying.here()), { previousVersion: 'shop:previous' }) });
  const r = await onOneWorker(stub.activities, async () => {
    const firstStatus = await promote(first);
    // A holder taken off mid-stage leaves the ledger unrecorded.
    holdDeploy = true;
    const handle = await startPromotion(env, unlocked);
    try {
      await deploying.arrived;
      await ask(() => lock.executeUpdate(unlockUpdate, { args: [{ by: 'sre', reason: 'stuck', holder: handle.workflowId }] }));
    } finally {
      deploying.release();
    }
    await settled(handle);
    holdDeploy = false;
    const firstRun = (await lock.describe()).runId;
    const before = await ledgerOf(app, 'dev');
    // Signals nobody takes, as the Web UI can send any number of: each is an event in the lock's
    // history. Sent in a burst, then the lock is given time: a run cannot end while signals keep arriving.
    const sent = 600;
    for (let n = 0; n < sent; n += 50) await Promise.all(Array.from({ length: 50 }, (_, i) => lock.signal('nonsense', { n: n + i })));
    const deadline = Date.now() + 30_000;
    while ((await lock.describe()).runId === firstRun) {
      if (Date.now() > deadline) throw new Error(`the lock did not continue as new after ${sent} signals`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const newRun = await lock.describe();
    const afterwards = { ledger: await ledgerOf(app, 'dev'), state: await lockStateOf(app, 'dev') };
    const secondStatus = await promote(second);
    return { firstStatus, firstRun, before, sent, newRun, afterwards, secondStatus, last: await ledgerOf(app, 'dev'), lastRun: (await lock.describe()).runId };
  });
  expect(r.before.releases).toEqual([releaseOf(first, r.firstStatus, 'dev')]);
  expect(r.before.unrecorded).toMatchObject({ by: promotionWorkflowId(app, unlocked.sha), why: 'unlocked by sre: stuck' });
  expect(r.newRun.runId).not.toBe(r.firstRun);
  expect(r.newRun.status.name).toBe('RUNNING');
  expect(r.afterwards.ledger).toEqual(r.before);
  // Every refusal of the first run is still counted in the new one.
  expect(r.afterwards.state.ignoredCount).toBe(r.sent);

  expect(r.last.releases).toEqual([releaseOf(second, r.secondStatus, 'dev'), releaseOf(first, r.firstStatus, 'dev')]);
  expect(r.last.unrecorded).toBeUndefined();
  expect(r.lastRun).toBe(r.newRun.runId);
});

test('an idle lock stays open with its ledger for months, waking weekly, and records the next promotion', async () => {
  const app = 'ledger-idle';
  const [first, second] = [samplePlan(devOnly(app)), samplePlan(devOnly(app))];
  const lock = lockOf(app, 'dev');
  const r = await onOneWorker(stubActivities().activities, async () => {
    const firstStatus = await promote(first);
    const before = { run: (await lock.describe()).runId, ledger: await ledgerOf(app, 'dev'), wakes: await wakes(lock) };
    await env.sleep('60 days');
    const after = { description: await lock.describe(), ledger: await ledgerOf(app, 'dev'), wakes: await wakes(lock) };
    const secondStatus = await promote(second);
    return { firstStatus, before, after, secondStatus, last: await ledgerOf(app, 'dev') };
  });
  expect(r.after.description.status.name).toBe('RUNNING');
  expect(r.after.description.runId).toBe(r.before.run);
  expect(r.after.ledger).toEqual(r.before.ledger);
  // Once a week: never a jump from its last event to a server's execution timeout.
  expect(r.after.wakes - r.before.wakes).toBeGreaterThanOrEqual(8);
  expect(r.after.wakes - r.before.wakes).toBeLessThanOrEqual(9);
  expect(r.last.releases).toEqual([releaseOf(second, r.secondStatus, 'dev'), releaseOf(first, r.firstStatus, 'dev')]);
});

test('a lock that goes idle and busy again with each promotion keeps one weekly timer in its run: none started or cancelled per promotion', async () => {
  const app = 'ledger-one-wake';
  const lock = lockOf(app, 'dev');
  const timers = await onOneWorker(stubActivities().activities, async () => {
    for (let i = 0; i < 3; i++) expect((await promote(samplePlan(devOnly(app)))).state).toBe('succeeded');
    return weeklyTimers(lock);
  });
  // The test server may skip a week between promotions (its clock runs free while nothing else is
  // due): each wake then starts the next one, but no promotion starts or cancels one.
  expect(timers.cancelled).toBe(0);
  expect(timers.started).toBe(timers.fired + 1);
});

test('an idle lock cancelled from the Web UI ends as cancelled, as it did before its wait lost its timer', async () => {
  const app = 'ledger-idle-cancel';
  const lock = lockOf(app, 'dev');
  const description = await onOneWorker(stubActivities().activities, async () => {
    expect((await promote(samplePlan(devOnly(app)))).state).toBe('succeeded');
    await lock.cancel();
    await lock.result().catch(() => undefined);
    return lock.describe();
  });
  expect(description.status.name).toBe('CANCELLED');
});

/** The lock's current run's weekly timers (seven days): started, fired and cancelled. */
async function weeklyTimers(lock: WorkflowHandle): Promise<{ started: number; fired: number; cancelled: number }> {
  const events = (await lock.fetchHistory()).events ?? [];
  const { EventType } = temporal.api.enums.v1;
  const weekly = new Set(
    events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED && Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds) === 7 * 24 * 3600)
      .map((e) => e.timerStartedEventAttributes?.timerId),
  );
  const of = (type: number, timerId: (e: (typeof events)[number]) => string | null | undefined) => events.filter((e) => e.eventType === type && weekly.has(timerId(e) ?? undefined)).length;
  return {
    started: weekly.size,
    fired: of(EventType.EVENT_TYPE_TIMER_FIRED, (e) => e.timerFiredEventAttributes?.timerId),
    cancelled: of(EventType.EVENT_TYPE_TIMER_CANCELED, (e) => e.timerCanceledEventAttributes?.timerId),
  };
}

/** Timers that fired in the lock's current run. */
async function wakes(lock: WorkflowHandle): Promise<number> {
  const history = await lock.fetchHistory();
  return (history.events ?? []).filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_FIRED).length;
}

test('a holder let go with its record while a forged release had the lock asking about it is the only one let go: the next holder keeps the environment', async () => {
  const app = 'ledger-forged-release';
  // Seconds of stabilize: the lock's held question stops the test server's clock meanwhile.
  const quick = (config: FerryConfig) => {
    devOnly(app)(config);
    Object.assign(config.environments[0], { stabilize: 2_000, healthCheckInterval: 1_000 });
  };
  const [first, second] = [samplePlan(quick), samplePlan(quick)];
  const lock = lockOf(app, 'dev');
  const firstDeploy = hold();
  const secondDeploy = hold();
  const asking = hold();
  let askingHeld = true;
  const real = lockActivities(env.client);
  const stub = stubActivities({
    deploy: async ({ source }) => {
      await (source.sha === first.sha ? firstDeploy : secondDeploy).here();
      return { previousVersion: 'shop:previous' };
    },
  });
  const activities = {
    ...stub.activities,
    // The lock's question to the holder, held while the holder records and leaves.
    checkHolder: async (input: Parameters<typeof real.checkHolder>[0]) => {
      if (askingHeld) await asking.here();
      return real.checkHolder(input);
    },
  };
  const r = await onOneWorker(activities as typeof stub.activities, async () => {
    const firstHandle = await startPromotion(env, first);
    await firstDeploy.arrived;
    // Anyone can send a release naming the holder from the Web UI: the lock then asks the holder.
    const { runId } = await firstHandle.describe();
    await lock.signal('release', { requester: firstHandle.workflowId, runId });
    await asking.arrived;
    const secondHandle = await startPromotion(env, second);
    firstDeploy.release();
    const firstStatus = await outcome(firstHandle);
    askingHeld = false;
    asking.release();
    await secondDeploy.arrived;
    const whileSecondDeploys = await lockStateOf(app, 'dev');
    secondDeploy.release();
    const secondStatus = await settled(secondHandle);
    return { firstStatus, whileSecondDeploys, secondStatus, secondId: secondHandle.workflowId };
  });
  expect(r.firstStatus.state).toBe('succeeded');
  expect(r.whileSecondDeploys.holder).toBe(r.secondId);
  expect(r.secondStatus.state).toBe('succeeded');
  expect(environment(r.secondStatus, 'dev').steps.map((s) => s.name)).not.toContain('record');
});
