// The hand-over of an environment (request, grant, confirm, the holder's record read by the lock)
// runs as local activities: one marker event each, no activity task, no workflow task to report it.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { lockWorkflowId } from '../../common/plan';
import { samplePlan } from '../helpers/fixtures';
import { recordIdleLockHistory } from '../helpers/histories';
import { runPromotion } from '../helpers/promotions';
import { stubActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer } from '../helpers/temporal-env';

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

test('a promotion through one environment queues, is granted, confirms and is read by the lock in local activities only', async () => {
  const plan = samplePlan((config) => {
    config.environments = config.environments.filter((e) => e.name === 'dev');
  });
  const { status, handle } = await runPromotion(env, stubActivities().activities, plan);
  expect(status.state).toBe('succeeded');

  const promotion = (await handle.fetchHistory()).events ?? [];
  const lock = (await env.client.workflow.getHandle(lockWorkflowId(plan.app, 'dev')).fetchHistory()).events ?? [];
  const handover = ['requestLock', 'grantLock', 'confirmGrant', 'readHolderRecord'];
  expect(scheduled(promotion).filter((name) => handover.includes(name!))).toEqual([]);
  expect(scheduled(lock).filter((name) => handover.includes(name!))).toEqual([]);
  expect(localActivities(promotion)).toEqual(['requestLock', 'confirmGrant']);
  expect(localActivities(lock)).toEqual(['grantLock', 'readHolderRecord']);
  // The record itself is still an activity: it waits on the lock, which asks this promotion.
  expect(scheduled(promotion)).toContain('recordRelease');
  // The lock's history too (the promotion's is recorded by runPromotion), for the replay test.
  await recordIdleLockHistory(env, lockWorkflowId(plan.app, 'dev'));
});
