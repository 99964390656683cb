// What anyone who can open the Web UI can send: any signal it lists, by name, with any bytes.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { statusQuery, unlockUpdate } from '../../common/messages';
import { lockWorkflowId, type PromotionPlan } from '../../common/plan';
import type { LockActivities } from '../../common/activity-contracts';
import type { FerryConfig } from '../../common/config-schema';
import { lockActivities } from '../../activities/environment-lock';
import type { PromotionStatus } from '../../common/status';
import { samplePlan } from '../helpers/fixtures';
import { environment, locksSettled, outcome, startPromotion, waitForStatus } from '../helpers/promotions';
import { hold, stubActivities, type ActivityCall } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal-env';
import { firstHoldsDevSecondQueues as twoPromotions, lockState as devLockState, releasedAfter, until, type TwoPromotions } from '../helpers/two-promotions';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

const MINUTE = 60_000;
const devOnly = (config: FerryConfig) => {
  config.environments = config.environments.filter((e) => e.name === 'dev');
  config.environments[0].stabilize = MINUTE;
};
const productionOnly = (config: FerryConfig) => {
  config.environments = config.environments.filter((e) => e.name === 'production');
  config.environments[0].stabilize = MINUTE;
};

/** Whether a stubbed call acted on dev for this promotion: target calls carry its artifact, database calls its ID. */
/**
 * What a promotion did in dev; its first prepare aside: the up-front check every promotion makes
 * before it queues for the lock, which changes nothing.
 */
const actedOnDevFor = (plan: PromotionPlan, handle: WorkflowHandle, calls: ActivityCall[]) => {
  const mine = (call: ActivityCall) => call.input.environment === 'dev' && (call.input.version === plan.artifact || call.input.promotionId === handle.workflowId);
  const upFront = calls.find((call) => mine(call) && call.name === 'prepare');
  return (call: ActivityCall) => mine(call) && call !== upFront;
};

const lockState = (app: string, envName: string) => devLockState(env, app, envName);

/** Sends a signal the way a client that skips Ferry's converter would: raw bytes, any encoding. */
async function signalRaw(workflowId: string, signalName: string, encoding: string, data: Buffer): Promise<void> {
  await env.client.workflowService.signalWorkflowExecution({
    namespace: env.namespace ?? 'default',
    workflowExecution: { workflowId },
    signalName,
    identity: 'web-ui',
    input: { payloads: [{ metadata: { encoding: Buffer.from(encoding) }, data }] },
  });
}

/** Two promotions into dev, the first holding it, the second queued (test/helpers/two-promotions.ts). */
const firstHoldsDevSecondQueues = (scene: (promotions: TwoPromotions) => Promise<void>, lock: Partial<LockActivities> = {}) => twoPromotions(env, devOnly, scene, lock);

/**
 * An operator unlocks dev from the first promotion: the second must get it, the unlock recorded;
 * then what was held is let go, the first is cancelled and the second runs to success.
 */
async function unlockAndLetTheSecondFinish(first: WorkflowHandle, second: WorkflowHandle, ...held: ReturnType<typeof hold>[]): Promise<void> {
  const lock = env.client.workflow.getHandle(lockWorkflowId('shop', 'dev'));
  await lock.executeUpdate(unlockUpdate, { args: [{ by: 'sre', reason: 'its worker is gone', holder: first.workflowId }] });
  const passed = await until(lockState('shop', 'dev'), (s) => s.holder === second.workflowId, 'the lock passed on');
  expect(passed.passedOn.at(-1)).toMatchObject({ holder: first.workflowId, why: 'unlocked by sre: its worker is gone' });
  for (const h of held) h.release();
  await first.cancel();
  await outcome(first);
  const status = await outcome(second);
  expect(status.state).toBe('succeeded');
  await locksSettled(env, status);
}

test('a forged lockGranted or release never lets a queued promotion act on the environment', async () => {
  await firstHoldsDevSecondQueues(async ({ plans, first, second, deployOfFirst, stub }) => {
    const lockId = lockWorkflowId('shop', 'dev');
    // The lock's grant, as the Web UI lists it, sent to the second promotion; and a null one.
    await second.signal('lockGranted', { lock: lockId });
    await second.signal('lockGranted', null);
    // The holder's release, forged, sent to the lock.
    const firstRun = (await first.describe()).runId;
    await env.client.workflow.getHandle(lockId).signal('release', { requester: first.workflowId, runId: firstRun });

    const refused = await waitForStatus(second, (s) => s.ignored.filter((m) => m.name === 'lockGranted').length === 2, 'both grants refused');
    expect(refused.ignored.map((m) => m.reason).sort()).toEqual(['Invalid input: expected object, received null', `${lockId} does not name this promotion as its holder`]);
    const lock = await until(lockState('shop', 'dev'), (s) => s.ignored.some((m) => m.name === 'release'), 'the forged release refused');
    expect(lock.holder).toBe(first.workflowId);
    expect(lock.queue).toEqual([second.workflowId]);
    expect(lock.ignored.find((m) => m.name === 'release')?.reason).toBe(`${first.workflowId} still holds ${lockId}: a release counts only from the holder`);
    // Nothing at all was done to dev for the second promotion while the first held it.
    expect(stub.calls.filter(actedOnDevFor(plans[1], second, stub.calls))).toEqual([]);
    expect(environment(refused, 'dev').steps.find((s) => s.name === 'lock')?.state).toBe('waiting');

    deployOfFirst.release();
    const [a, b] = [await outcome(first), await outcome(second)];
    await locksSettled(env, b);
    expect([a.state, b.state]).toEqual(['succeeded', 'succeeded']);
    const firstCalls = stub.calls.map((c, at) => ({ c, at })).filter(({ c }) => actedOnDevFor(plans[0], first, stub.calls)(c));
    const secondCalls = stub.calls.map((c, at) => ({ c, at })).filter(({ c }) => actedOnDevFor(plans[1], second, stub.calls)(c));
    expect(Math.max(...firstCalls.map(({ at }) => at))).toBeLessThan(Math.min(...secondCalls.map(({ at }) => at)));
  });
});

test('a promotion shows running, not waiting, while its stage deploys', async () => {
  const deploy = hold();
  const stub = stubActivities({ deploy: async () => (await deploy.here(), {}) });
  const worker = await startWorker(env, stub.activities);
  await worker.runUntil(
    releasedAfter(deploy, async () => {
      const handle = await startPromotion(env, samplePlan(devOnly));
      await deploy.arrived;
      const during = await handle.query(statusQuery);
      const attributes = (await handle.describe()).searchAttributes;
      deploy.release();
      expect(during.state).toBe('running');
      expect(environment(during, 'dev').state).toBe('running');
      expect(attributes.FerryState).toEqual(['running']);
      const status = await outcome(handle);
      expect(status.state).toBe('succeeded');
      await locksSettled(env, status);
    }),
  );
});

describe('refused and undecodable messages', () => {
  async function awaitingProduction(): Promise<WorkflowHandle> {
    const handle = await startPromotion(env, samplePlan(productionOnly));
    await waitForStatus(handle, (s) => environment(s, 'production').steps.some((st) => st.name === 'approval' && st.state === 'waiting'), 'approval open');
    return handle;
  }

  test('oversized refused approvals are kept cut short, and a valid quorum still completes the promotion', async () => {
    const stub = stubActivities();
    const worker = await startWorker(env, stub.activities);
    await worker.runUntil(async () => {
      const handle = await awaitingProduction();
      const megabyte = 'x'.repeat(1_000_000);
      await handle.signal('approve', { environment: 'production', approver: 'mallory', comment: megabyte });
      await handle.signal('approve', { environment: 'production', approver: 'olivia', comment: megabyte });
      for (let i = 0; i < 25; i++) await handle.signal('reject', { environment: 'production', approver: `eve${i}` });
      const refused = await waitForStatus(handle, (s) => s.ignoredCount === 27, 'every refusal counted');
      expect(refused.ignored).toHaveLength(20);
      expect(refused.ignored.at(-1)).toMatchObject({ name: 'reject', from: 'eve24' });
      expect(JSON.stringify(refused).length).toBeLessThan(32_000);

      await handle.signal('approve', { environment: 'production', approver: 'olivia', comment: 'ship it' });
      const status = (await handle.result()) as PromotionStatus;
      await locksSettled(env, status);
      expect(status.state).toBe('succeeded');
      expect(JSON.stringify(status).length).toBeLessThan(32_000);
    });
  });

  test('bytes that are not JSON, an unknown encoding, null and unknown names are refused, and the gate still works', async () => {
    const stub = stubActivities();
    const worker = await startWorker(env, stub.activities);
    await worker.runUntil(async () => {
      const handle = await awaitingProduction();
      await signalRaw(handle.workflowId, 'approve', 'json/plain', Buffer.from('olivia approves'));
      await signalRaw(handle.workflowId, 'approve', 'json/protobuf', Buffer.from([0x0a, 0x03, 0x61, 0x62, 0x63]));
      await signalRaw(handle.workflowId, 'abort', 'binary/plain', Buffer.from('stop'));
      await handle.signal('approve', null);
      await handle.signal('lockGranted', null);
      await handle.signal('ship-it', { environment: 'production' });
      const refused = await waitForStatus(handle, (s) => s.ignoredCount === 6, 'six refusals');
      expect(refused.ignored.map((m) => [m.name, m.reason])).toEqual([
        ['approve', expect.stringContaining('could not be decoded (encoding json/plain, 15 bytes)')],
        ['approve', expect.stringContaining('could not be decoded (encoding json/protobuf, 5 bytes)')],
        ['abort', 'is binary (4 bytes): send JSON (json/plain)'],
        ['approve', expect.stringMatching(/expected object/i)],
        ['lockGranted', expect.stringMatching(/expected object/i)],
        ['ship-it', 'a promotion takes no such signal (approve, reject, abort)'],
      ]);
      // Still alive and deciding: the status answers and a real approval goes through.
      await handle.signal('approve', { environment: 'production', approver: 'olivia' });
      const status = (await handle.result()) as PromotionStatus;
      expect(status.state).toBe('succeeded');
      await locksSettled(env, status);
      expect(stub.callsTo('promote', 'production')).toHaveLength(1);
    });
  });
});

/**
 * A holder terminated while its deploy runs leaves that activity's time-skipping lock on the test
 * server for good (sdk-java#1138): from then on the file's clock runs at wall speed, and the lock's
 * 30-second holder checks take 30 real seconds. Measured 31 s, 61 s and 61 s here; the default
 * two minutes would be thin on a loaded machine.
 */
const WALL_CLOCK_TIMEOUT_MS = 300_000;

describe('a lock whose holder is gone', () => {
  test(
    'passes on by itself when its holder is terminated',
    async () => {
      await firstHoldsDevSecondQueues(async ({ first, second, deployOfFirst }) => {
        await first.terminate('stuck, says the operator');
        deployOfFirst.release();
        // Awaited before any look at the lock: polling queries keeps the test server from skipping time.
        const status = await outcome(second);
        expect(status.state).toBe('succeeded');
        const lock = await lockState('shop', 'dev')();
        await locksSettled(env, status);
        expect(lock.passedOn).toEqual([{ at: expect.any(String), holder: first.workflowId, why: `the holder no longer holds it: ${first.workflowId} is terminated` }]);
      });
    },
    WALL_CLOCK_TIMEOUT_MS,
  );

  test(
    'ferry unlock takes it from the holder the operator named, and from nobody else',
    async () => {
      await firstHoldsDevSecondQueues(async ({ first, second, deployOfFirst }) => {
        const lock = env.client.workflow.getHandle(lockWorkflowId('shop', 'dev'));

        const refusedWith = (payload: unknown) =>
          lock.executeUpdate(unlockUpdate, { args: [payload] }).then(
            () => 'accepted',
            (error: Error) => (error.cause as Error | undefined)?.message,
          );
        expect(await refusedWith({ by: 'sre', reason: 'stuck', holder: second.workflowId })).toBe(`ferry-lock/shop/dev is held by ${first.workflowId}, not ${second.workflowId}`);
        expect(await refusedWith({ by: 'sre', holder: first.workflowId })).toMatch(/^reason: /);
        await unlockAndLetTheSecondFinish(first, second, deployOfFirst);
      });
    },
    WALL_CLOCK_TIMEOUT_MS,
  );

  test(
    'ferry unlock passes the lock on even while the holder cannot answer the lock',
    async () => {
      // The holder's worker is gone: asking it never returns (the real call retries until it does).
      const unanswered = hold();
      const real = lockActivities(env.client);
      let firstId = '';
      await releasedAfter(unanswered, () =>
        firstHoldsDevSecondQueues(
          async ({ first, second, deployOfFirst }) => {
            firstId = first.workflowId;
            const lock = env.client.workflow.getHandle(lockWorkflowId('shop', 'dev'));
            await lock.signal('release', { requester: first.workflowId, runId: (await first.describe()).runId });
            await unanswered.arrived;
            await unlockAndLetTheSecondFinish(first, second, unanswered, deployOfFirst);
          },
          {
            checkHolder: async (input) => {
              if (input.holder.workflowId === firstId) await unanswered.here();
              return real.checkHolder(input);
            },
          },
        ),
      )();
    },
    WALL_CLOCK_TIMEOUT_MS,
  );
});
