// The hand-over of an environment (request, grant, confirm, the holder's record read by the lock)
// runs as local activities: one marker event each, no activity task, no workflow task to report it.
// A free lock answers the request itself: no grant, no confirmation.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { FerryConfig } from '../../common/config-schema';
import { lockWorkflowId } from '../../common/plan';
import { samplePlan } from '../helpers/fixtures';
import { recordHistories, recordIdleLockHistory } from '../helpers/histories';
import { locksSettled, outcome, runPromotion, startPromotion, waitForStatus } from '../helpers/promotions';
import { hold, stubActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal-env';

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
  expect(localActivities(lock)).toEqual(['readHolderRecord']);
  expect(signalNames(promotion)).not.toContain('lockGranted');
  // The record itself is still an activity: it waits on the lock, which asks this promotion.
  expect(scheduled(promotion)).toContain('recordRelease');
  // The lock's history too (the promotion's is recorded by runPromotion), for the replay test.
  await recordIdleLockHistory(env, lockWorkflowId(plan.app, 'dev'));
});

test('a promotion that asks a held lock is queued, and is granted and confirms as before', async () => {
  const plans = [samplePlan(devOnly), samplePlan(devOnly)];
  const deployOfFirst = hold();
  const stub = stubActivities({
    deploy: async (input) => {
      if (input.version === plans[0].artifact) await deployOfFirst.here();
      return { previousVersion: 'shop:previous' };
    },
  });
  const worker = await startWorker(env, stub.activities);
  const [first, second] = await worker.runUntil(async () => {
    try {
      const first = await startPromotion(env, plans[0]);
      await deployOfFirst.arrived;
      const second = await startPromotion(env, plans[1]);
      await waitForStatus(second, (s) => s.environments[0].steps.some((step) => step.name === 'lock'), 'the second waits for the lock');
      deployOfFirst.release();
      const outcomes = [await outcome(first), await outcome(second)];
      await locksSettled(env, outcomes[1]);
      expect(outcomes.map((s) => s.state)).toEqual(['succeeded', 'succeeded']);
      await recordHistories(env, second);
      return [first, second];
    } finally {
      deployOfFirst.release();
    }
  });
  const history = async (id: string) => (await env.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  expect(localActivities(await history(first.workflowId))).toEqual(['askForLock']);
  expect(localActivities(await history(second.workflowId))).toEqual(['askForLock', 'confirmGrant']);
  expect(signalNames(await history(second.workflowId))).toEqual(['lockGranted']);
  const lock = await history(lockWorkflowId('shop', 'dev'));
  expect(localActivities(lock)).toEqual(['readHolderRecord', 'grantLock', 'readHolderRecord']);
});
