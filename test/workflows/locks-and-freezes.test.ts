import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { freezeEndsAt, type FreezeWindow } from '../../common/freeze-windows';
import type { FerryConfig } from '../../common/config-schema';
import { lockStateQuery } from '../../common/messages';
import { lockWorkflowId } from '../../common/plan';
import { samplePlan } from '../helpers/fixtures';
import { askAgain } from '../helpers/lock-queries';
import { environment, locksSettled, outcome, startPromotion, step, waitForStatus } from '../helpers/promotions';
import { stubActivities, type ActivityCall } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal-env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

const HOUR = 60 * 60_000;
const MINUTE = 60_000;
const ALL_DAYS: FreezeWindow['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const utcHhMm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

test('a freeze window holds the deploy, with the lock held, until the window ends', async () => {
  const stub = stubActivities();
  const worker = await startWorker(env, stub.activities);
  // A window from an hour ago to two hours from now, every day, on the test server's clock.
  const now = await env.currentTimeMs();
  const window: FreezeWindow = {
    days: ALL_DAYS,
    from: utcHhMm(now - HOUR),
    to: utcHhMm(now + 2 * HOUR),
    timezone: 'UTC',
    reason: 'release freeze',
  };
  const expectedEnd = freezeEndsAt([window], now)!;
  // The window is open now and ends within the minute before now + 2h ("to" has minute precision).
  expect(expectedEnd).toBeGreaterThan(now + 2 * HOUR - MINUTE);
  expect(expectedEnd).toBeLessThanOrEqual(now + 2 * HOUR);

  const plan = samplePlan((config) => {
    config.environments = config.environments.filter((e) => e.name === 'dev');
    config.environments[0].freezeWindows = [window];
  });
  const { frozen, status } = await worker.runUntil(async () => {
    const handle = await startPromotion(env, plan);
    // Queries do not move the clock: this is the promotion as it waits out the window (or, if it
    // does not wait, as it starts on dev, so the test fails on the assertions, not on a timeout).
    const frozen = await waitForStatus(handle, (s) => (step(s, 'dev', 'freeze')?.detail?.startsWith('frozen by') ?? false) || stub.environmentsTouched({ ignoring: ['prepare'] }).length > 0, 'frozen');
    // The up-front check (prepare, before the lock) changes nothing; the stage's own comes after the window.
    const upFront = stub.callsTo('prepare', 'dev')[0];
    const devCallsWhileFrozen = stub.calls.filter((c) => c.input.environment === 'dev' && c !== upFront).length;
    const status = await outcome(handle);
    await locksSettled(env, status);
    return { frozen: { status: frozen, devCallsWhileFrozen }, status };
  });

  // While frozen: waiting, lock held, nothing done to dev, and the status says why and until when.
  expect(frozen.devCallsWhileFrozen).toBe(0);
  expect(frozen.status.state).toBe('waiting');
  expect(environment(frozen.status, 'dev').state).toBe('waiting');
  expect(environment(frozen.status, 'dev').steps.map((s) => `${s.name}:${s.state}`)).toEqual(['lock:succeeded', 'freeze:running']);
  expect(step(frozen.status, 'dev', 'freeze')!.detail).toBe(`frozen by mon,tue,wed,thu,fri,sat,sun ${window.from}–${window.to} UTC (release freeze) until ${new Date(expectedEnd).toISOString()}`);

  // Afterwards: deployed once, and only after the window ended.
  expect(status.state).toBe('succeeded');
  expect(environment(status, 'dev').state).toBe('succeeded');
  expect(stub.callsTo('deploy', 'dev')).toHaveLength(1);
  expect(stub.callsTo('migrateDatabase', 'dev')).toHaveLength(1);
  expect(environment(status, 'dev').steps.map((s) => `${s.name}:${s.state}`)).toEqual([
    'lock:succeeded',
    'freeze:succeeded',
    'prepare:succeeded',
    'migrate:succeeded',
    'deploy:succeeded',
    'stabilize:succeeded',
  ]);
  const freeze = step(status, 'dev', 'freeze')!;
  const frozenFor = Date.parse(freeze.endedAt!) - Date.parse(freeze.startedAt!);
  expect(Date.parse(freeze.startedAt!)).toBeGreaterThanOrEqual(now);
  expect(Date.parse(freeze.endedAt!)).toBeGreaterThanOrEqual(expectedEnd);
  expect(Date.parse(freeze.endedAt!)).toBeLessThan(expectedEnd + MINUTE);
  // Frozen for about 2h: exactly until the window's end ("to" has minute precision, and the
  // freeze began a moment after `now`), so within a minute or so short of 2h.
  expect(Math.abs(frozenFor - (expectedEnd - Date.parse(freeze.startedAt!)))).toBeLessThan(MINUTE);
  expect(frozenFor).toBeGreaterThan(2 * HOUR - 2 * MINUTE);
  expect(frozenFor).toBeLessThanOrEqual(2 * HOUR);
  expect(Date.parse(step(status, 'dev', 'migrate')!.startedAt!)).toBeGreaterThanOrEqual(expectedEnd);
  expect(Date.parse(step(status, 'dev', 'deploy')!.startedAt!)).toBeGreaterThanOrEqual(expectedEnd);
});

test('two promotions into one environment run one after the other', async () => {
  const edit = (config: FerryConfig) => {
    config.environments = config.environments.filter((e) => e.name === 'dev');
    config.environments[0].stabilize = 5 * MINUTE;
  };
  const plans = [samplePlan(edit), samplePlan(edit)];
  expect(plans[0].artifact).not.toBe(plans[1].artifact);

  const stub = stubActivities();
  const worker = await startWorker(env, stub.activities);
  const { statuses, ids, free } = await worker.runUntil(async () => {
    const handles = await Promise.all(plans.map((plan) => startPromotion(env, plan)));
    // Both run at once on the server, their results awaited one after the other (results
    // awaited at once would do too: they share one unlock of time skipping, see temporal-env).
    const statuses = [];
    for (const handle of handles) statuses.push(await outcome(handle));
    await locksSettled(env, statuses[0]);
    // Queried while this worker runs: a query needs one.
    const lock = env.client.workflow.getHandle(lockWorkflowId('shop', 'dev'));
    const free = { run: (await lock.describe()).status.name, state: await askAgain(env, () => lock.query(lockStateQuery)) };
    return { statuses, ids: handles.map((h) => h.workflowId), free };
  });

  expect(statuses.map((s) => s.state)).toEqual(['succeeded', 'succeeded']);

  // Whose call is it: target calls carry the artifact, database calls the promotion's ID.
  const owner = (call: ActivityCall): number => {
    const index = plans.findIndex((plan, i) => call.input.version === plan.artifact || call.input.promotionId === ids[i]);
    expect(index).toBeGreaterThanOrEqual(0);
    return index;
  };
  // Each promotion's first prepare is its up-front check, made before it queues for the lock: it changes nothing.
  const upFront = new Set([0, 1].map((who) => stub.callsTo('prepare', 'dev').find((call) => owner(call) === who)));
  expect(upFront.size).toBe(2);
  const devCalls = stub.calls.map((call, at) => ({ call, at })).filter(({ call }) => call.input.environment === 'dev' && !upFront.has(call));
  const first = owner(devCalls[0].call);
  const second = 1 - first;
  const atOf = (who: number, names?: string[]) => devCalls.filter(({ call }) => owner(call) === who && (!names || names.includes(call.name))).map(({ at }) => at);

  for (const who of [first, second]) {
    expect(stub.callsTo('deploy', 'dev').filter((c) => owner(c) === who)).toHaveLength(1);
    expect(stub.callsTo('checkHealth', 'dev').filter((c) => owner(c) === who)).toHaveLength(10);
    expect(stub.callsTo('migrateDatabase', 'dev').filter((c) => owner(c) === who)).toHaveLength(1);
  }
  // Every target call (and migration) of the first comes before any of the second's.
  expect(Math.max(...atOf(first, ['deploy', 'checkHealth']))).toBeLessThan(Math.min(...atOf(second, ['deploy', 'checkHealth'])));
  expect(Math.max(...atOf(first))).toBeLessThan(Math.min(...atOf(second)));

  // The second really queued: it asked while the first held dev, and got the lock only once the first was done.
  const firstStabilize = step(statuses[first], 'dev', 'stabilize')!;
  const secondLock = step(statuses[second], 'dev', 'lock')!;
  expect(secondLock.state).toBe('succeeded');
  expect(Date.parse(secondLock.startedAt!)).toBeLessThan(Date.parse(firstStabilize.endedAt!));
  expect(Date.parse(secondLock.endedAt!)).toBeGreaterThanOrEqual(Date.parse(firstStabilize.endedAt!));
  expect(Date.parse(step(statuses[second], 'dev', 'migrate')!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(firstStabilize.endedAt!));

  // Nobody holds or waits for dev any more; its lock stays open, keeping dev's ledger, both releases in the order they went live.
  expect(free.run).toBe('RUNNING');
  expect(free.state).toMatchObject({ queue: [], passedOn: [] });
  expect(free.state.holder).toBeUndefined();
});
