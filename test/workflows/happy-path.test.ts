import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approveSignal, statusQuery } from '../../common/messages';
import { SearchAttr } from '../../common/search-attributes';
import { samplePlan } from '../helpers/fixtures';
import { environment, runPromotion, step } from '../helpers/promotions';
import { hold, stubActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer } from '../helpers/temporal-env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

test('a release goes through dev, staging and production, built once', async () => {
  const gate = hold();
  const stub = stubActivities({ notify: async ({ event }) => (event === 'approval-waiting' ? gate.here() : undefined) });
  const plan = samplePlan();
  const { status, handle } = await runPromotion(env, stub.activities, plan, async (handle) => {
    await gate.arrived;
    const waiting = await handle.query(statusQuery);
    expect(environment(waiting, 'production').state).toBe('waiting');
    expect(environment(waiting, 'staging').state).toBe('succeeded');
    await handle.signal(approveSignal, { environment: 'production', approver: 'olivia', comment: 'ship it' });
    gate.release();
  });

  const description = await handle.describe();
  expect(description.status.name).toBe('COMPLETED');
  expect(description.typedSearchAttributes.get(SearchAttr.state)).toBe('succeeded');
  expect(description.typedSearchAttributes.get(SearchAttr.app)).toBe('shop');
  expect(description.typedSearchAttributes.get(SearchAttr.commit)).toBe(plan.sha);
  const stage = await env.client.workflow.getHandle(environment(status, 'staging').stageWorkflowId!).describe();
  expect(stage.typedSearchAttributes.get(SearchAttr.environment)).toBe('staging');
  expect(stage.typedSearchAttributes.get(SearchAttr.state)).toBe('succeeded');
  expect(stage.typedSearchAttributes.get(SearchAttr.commit)).toBe(plan.sha);

  expect(status.state).toBe('succeeded');
  expect(status.environments.map((e) => [e.name, e.state])).toEqual([
    ['dev', 'succeeded'],
    ['staging', 'succeeded'],
    ['production', 'succeeded'],
  ]);
  expect(stub.callsTo('build')).toHaveLength(1);
  expect(stub.callsTo('test')).toHaveLength(1);
  expect(stub.environmentsTouched()).toEqual(expect.arrayContaining(['dev', 'staging', 'production'])); // all checked up front, at once
  expect(stub.environmentsTouched({ ignoring: ['prepare'] })).toEqual(['dev', 'staging', 'production']);
  expect(stub.callsTo('setCanaryWeight', 'staging').map((c) => c.input.weight)).toEqual([10, 50]);
  expect(stub.callsTo('promote', 'staging')).toHaveLength(1);
  expect(stub.callsTo('backupDatabase').map((c) => c.input.environment)).toEqual(['production']);
  expect(stub.callsTo('rollback')).toHaveLength(0);
  expect(stub.callsTo('undoMigrations')).toHaveLength(0);
  expect(stub.callsTo('notify').map((c) => c.input.event)).toEqual(['approval-waiting', 'succeeded']);
  expect(environment(status, 'production').approval?.received).toEqual([expect.objectContaining({ approver: 'olivia', decision: 'approve', comment: 'ship it', via: 'signal' })]);
  expect(environment(status, 'production').steps.map((s) => `${s.name}:${s.state}`)).toEqual([
    'approval:succeeded',
    'lock:succeeded',
    'prepare:succeeded',
    'backup:succeeded',
    'migrate:succeeded',
    'canary:succeeded',
    'stabilize:succeeded',
  ]);
});

test('a 15-minute stabilize runs on the durable clock, checking health every 30 seconds', async () => {
  const stub = stubActivities();
  const plan = samplePlan((config) => {
    config.environments = config.environments.filter((e) => e.name === 'staging');
  });
  const wallStart = Date.now();
  const { status } = await runPromotion(env, stub.activities, plan);
  const wallMs = Date.now() - wallStart;

  expect(status.state).toBe('succeeded');
  const stabilize = step(status, 'staging', 'stabilize')!;
  const workflowMs = Date.parse(stabilize.endedAt!) - Date.parse(stabilize.startedAt!);
  expect(workflowMs).toBeGreaterThanOrEqual(15 * 60_000);
  expect(workflowMs).toBeLessThan(16 * 60_000);
  expect(stub.callsTo('checkHealth', 'staging')).toHaveLength(30);
  // Reported, not asserted: wall-clock numbers belong to `npm run bench`.
  console.info(`canary + 15m stabilize took ${wallMs} ms of wall time`);
});

test('blue-green: the new colour is analysed before the switch, and the old one is retired once keepPrevious has passed', async () => {
  const stub = stubActivities();
  const plan = samplePlan((config) => {
    config.environments = config.environments.filter((e) => e.name === 'staging');
    config.environments[0].strategy = { kind: 'blue-green', keepPrevious: 20 * 60_000 };
  });
  const { status } = await runPromotion(env, stub.activities, plan);

  expect(status.state).toBe('succeeded');
  const targetCalls = stub.calls.filter((c) => !['migrateDatabase', 'resolveCommit', 'build', 'test', 'checkHealth'].includes(c.name));
  expect(targetCalls.map((c) => (c.name === 'setCanaryWeight' ? `setCanaryWeight:${c.input.weight}` : c.name))).toEqual([
    'prepare', // before the stage, then by the stage
    'prepare',
    'setCanaryWeight:0',
    'analyze',
    'promote',
    'retirePrevious',
  ]);
  expect(stub.callsTo('checkHealth', 'staging')).toHaveLength(30);
  expect(step(status, 'staging', 'deploy')).toMatchObject({ state: 'succeeded', detail: 'switched; previous colour kept 20m' });
  // Retired 20 minutes after the switch: 15 of them stabilizing, then 5 more.
  const stabilize = step(status, 'staging', 'stabilize')!;
  expect(Date.parse(status.endedAt!) - Date.parse(stabilize.startedAt!)).toBeGreaterThanOrEqual(20 * 60_000);
});
