// Each environment's ledger, kept by its lock workflow: what runs there, by whose promotion and
// approval, the releases before it, and the last try that did not go live.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FerryConfig } from '../../common/config-schema';
import { ledgerQuery, recordReleaseUpdate, RELEASES_KEPT, type EnvironmentLedger } from '../../common/ledger';
import { approveSignal, lockStateQuery, unlockUpdate } from '../../common/messages';
import { lockWorkflowId, promotionWorkflowId, type PromotionPlan } from '../../common/plan';
import type { PromotionStatus } from '../../common/status';
import type { promotion } from '../../workflows';
import { samplePlan } from '../helpers/fixtures';
import { environment, locksSettled, outcome, runPromotion, startPromotion, step, waitForStatus } from '../helpers/promotions';
import { hold, stubActivities, unhealthy } from '../helpers/stub-activities';
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
/** A query needs a worker to answer it, even for an idle lock; bounded, so a missing one fails the test instead of hanging it. */
async function answered<T>(ask: () => Promise<T>): Promise<T> {
  const worker = await startWorker(env, stubActivities().activities);
  return worker.runUntil(() => env.client.withDeadline(Date.now() + 20_000, ask));
}
const ledgerOf = (app: string, name: string): Promise<EnvironmentLedger> => answered(() => lockOf(app, name).query(ledgerQuery));
const lockStateOf = (app: string, name: string) => answered(() => lockOf(app, name).query(lockStateQuery));

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
  const plan = samplePlan((config) => (config.app = 'ledger-all'));
  const stub = stubActivities();
  const { status } = await runPromotion(env, stub.activities, plan, async (handle) => {
    await waitForStatus(handle, (s) => environment(s, 'production').approval !== undefined, 'production waits for approval');
    await handle.signal(approveSignal, { environment: 'production', approver: 'olivia', comment: 'ship it' });
  });
  expect(status.state).toBe('succeeded');

  for (const name of ['dev', 'staging', 'production']) {
    const ledger = await ledgerOf('ledger-all', name);
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
    expect((await lockOf('ledger-all', name).describe()).status.name).toBe('RUNNING');
    expect(await lockStateOf('ledger-all', name)).toMatchObject({ queue: [], ignoredCount: 0 });
  }
  // Production's approval, as the ledger has it, is the promotion's own record of it.
  expect(environment(status, 'production').approval!.received.map((r) => r.approver)).toEqual(['olivia']);
});

test('a stage that is rolled back leaves the live release in place and is the last attempt, until the next release goes live', async () => {
  const app = 'ledger-rollback';
  const first = samplePlan(devOnly(app));
  const { status: live } = await runPromotion(env, stubActivities().activities, first);
  expect(live.state).toBe('succeeded');

  const failing = samplePlan(devOnly(app));
  const stub = stubActivities({ checkHealth: async () => unhealthy('/healthz answered 503') });
  const { status: rolledBack } = await runPromotion(env, stub.activities, failing);
  expect(environment(rolledBack, 'dev').state).toBe('rolled-back');
  expect(stub.callsTo('rollback', 'dev')).toHaveLength(1);

  const after = await ledgerOf(app, 'dev');
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

  const next = samplePlan(devOnly(app));
  const { status: nextLive } = await runPromotion(env, stubActivities().activities, next);
  const latest = await ledgerOf(app, 'dev');
  expect(latest.releases).toEqual([releaseOf(next, nextLive, 'dev'), releaseOf(first, live, 'dev')]);
  expect(latest.lastAttempt).toBeUndefined();
});

test(`${RELEASES_KEPT + 1} releases in one environment keep the latest ${RELEASES_KEPT}, newest first`, async () => {
  const app = 'ledger-many';
  const stub = stubActivities();
  const worker = await startWorker(env, stub.activities);
  const shas = await worker.runUntil(async () => {
    const shas: string[] = [];
    for (let i = 0; i <= RELEASES_KEPT; i++) {
      const plan = samplePlan(devOnly(app));
      const status = await outcome(await startPromotion(env, plan));
      expect(status.state).toBe('succeeded');
      await locksSettled(env, status);
      shas.push(plan.sha);
    }
    return shas;
  });
  const ledger = await ledgerOf(app, 'dev');
  expect(ledger.releases).toHaveLength(RELEASES_KEPT);
  expect(ledger.releases.map((r) => r.sha)).toEqual(shas.slice(1).reverse());
});

describe('a forged recordRelease update (anyone can send one from the Web UI)', () => {
  const app = 'ledger-forged';

  test('naming the holder, or anyone else, or nobody well, records nothing and is refused', async () => {
    const earlier = samplePlan(devOnly(app));
    const { status: earlierStatus } = await runPromotion(env, stubActivities().activities, earlier);
    expect(earlierStatus.state).toBe('succeeded');
    const before = await ledgerOf(app, 'dev');

    const deploying = hold();
    const stub = stubActivities({ deploy: async () => (await deploying.here(), { previousVersion: 'shop:previous' }) });
    const plan = samplePlan(devOnly(app));
    const worker = await startWorker(env, stub.activities);
    const { refusals, during, status } = await worker.runUntil(async () => {
      const handle = await startPromotion(env, plan);
      try {
        await deploying.arrived;
        const { runId } = await handle.describe();
        const forge = (payload: unknown) =>
          lockOf(app, 'dev')
            .executeUpdate(recordReleaseUpdate, { args: [payload] })
            .then(
              () => 'accepted',
              (error: unknown) => (error instanceof WorkflowUpdateFailedError ? String(error.cause?.message) : `unexpected: ${String(error)}`),
            );
        const refusals = {
          holder: await forge({ requester: handle.workflowId, runId }),
          otherRun: await forge({ requester: handle.workflowId, runId: 'a-run-that-never-held-it' }),
          stranger: await forge({ requester: earlierStatus.workflowId, runId }),
          malformed: await forge({ requester: handle.workflowId, runId, record: { outcome: 'live' } }),
          bytes: await forge('x'.repeat(10_000)),
        };
        const during = await lockOf(app, 'dev').query(ledgerQuery);
        return { refusals, during, status: await finish(handle) };
      } finally {
        deploying.release();
      }
    });

    const holderId = promotionWorkflowId(app, plan.sha);
    expect(refusals.holder).toBe(
      `${holderId} has no record for ${lockWorkflowId(app, 'dev')} in its own lockClaims answer: only the holder's own record counts`,
    );
    expect(refusals.otherRun).toMatch(new RegExp(`^${lockWorkflowId(app, 'dev')} is held by ${holderId} \\(run [^)]+\\), not ${holderId} \\(run a-run-that-never-held-it\\)`));
    expect(refusals.stranger).toContain(`not ${earlierStatus.workflowId} (run `);
    expect(refusals.malformed).toMatch(/record/);
    expect(refusals.bytes).not.toBe('accepted');
    expect(refusals.bytes).not.toMatch(/^unexpected/);
    // Nothing recorded while it held dev; the only refusal that reached the handler is on record.
    expect(during.releases).toEqual(before.releases);
    expect(during.lastAttempt).toBeUndefined();
    const lockState = await lockStateOf(app, 'dev');
    expect(lockState.ignored.filter((m) => m.name === 'recordRelease').map((m) => m.reason)).toEqual([refusals.holder]);

    // The holder's own record still counts, once.
    expect(status.state).toBe('succeeded');
    const after = await ledgerOf(app, 'dev');
    expect(after.releases).toEqual([releaseOf(plan, status, 'dev'), ...before.releases]);
  });

  async function finish(handle: WorkflowHandle<typeof promotion>): Promise<PromotionStatus> {
    const status = await outcome(handle);
    await locksSettled(env, status);
    return status;
  }
});

test('an operator who takes the environment mid-stage leaves the stage as it is: the record is refused, the promotion goes on and says so', async () => {
  const app = 'ledger-unlocked';
  const deploying = hold();
  const stub = stubActivities({ deploy: async () => (await deploying.here(), { previousVersion: 'shop:previous' }) });
  const plan = samplePlan(devOnly(app));
  const worker = await startWorker(env, stub.activities);
  const status = await worker.runUntil(async () => {
    const handle = await startPromotion(env, plan);
    try {
      await deploying.arrived;
      await lockOf(app, 'dev').executeUpdate(unlockUpdate, { args: [{ by: 'sre', reason: 'stuck', holder: handle.workflowId }] });
    } finally {
      deploying.release();
    }
    const status = await outcome(handle);
    await locksSettled(env, status);
    return status;
  });
  expect(status.state).toBe('succeeded');
  expect(environment(status, 'dev').state).toBe('succeeded');
  const record = step(status, 'dev', 'record')!;
  expect(record).toMatchObject({ state: 'failed', attempts: 1 });
  expect(record.error).toContain(`${lockWorkflowId(app, 'dev')} did not record this stage in its ledger: ${lockWorkflowId(app, 'dev')} refused the record of ${status.workflowId}: nobody holds ${lockWorkflowId(app, 'dev')}`);
  expect((await ledgerOf(app, 'dev')).releases).toEqual([]);
});

test('the ledger, and what the lock refused, outlive continue-as-new; the new run stays open and keeps recording', async () => {
  const app = 'ledger-long';
  const first = samplePlan(devOnly(app));
  const { status: firstStatus } = await runPromotion(env, stubActivities().activities, first);
  const lock = lockOf(app, 'dev');
  const { runId: firstRun } = await lock.describe();
  const before = await ledgerOf(app, 'dev');
  expect(before.releases).toEqual([releaseOf(first, firstStatus, 'dev')]);

  // Signals nobody takes, as the Web UI can send any number of: each is an event in the lock's history.
  const worker = await startWorker(env, stubActivities().activities);
  const { ignoredCount, runs } = await worker.runUntil(async () => {
    let sent = 0;
    while ((await lock.describe()).runId === firstRun) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => lock.signal('nonsense', { n: sent + i })));
      sent += 50;
      if (sent > 5_000) throw new Error(`the lock did not continue as new after ${sent} signals`);
    }
    const state = await lock.query(lockStateQuery);
    return { ignoredCount: state.ignoredCount, runs: sent };
  });
  expect(runs).toBeGreaterThan(100);
  const description = await lock.describe();
  expect(description.runId).not.toBe(firstRun);
  expect(description.status.name).toBe('RUNNING');
  expect(await ledgerOf(app, 'dev')).toEqual(before);
  // Every refusal before the new run is still counted in it.
  expect(ignoredCount).toBeGreaterThan(100);

  const second = samplePlan(devOnly(app));
  const { status: secondStatus } = await runPromotion(env, stubActivities().activities, second);
  expect((await ledgerOf(app, 'dev')).releases).toEqual([releaseOf(second, secondStatus, 'dev'), releaseOf(first, firstStatus, 'dev')]);
  expect((await lock.describe()).runId).toBe(description.runId);
});
