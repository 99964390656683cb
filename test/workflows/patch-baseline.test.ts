// A run started now records one patch marker (the baseline) instead of one per patch: each marker
// costs two history events in every promotion, stage and lock. Runs recorded before replay their
// patches one by one (test/workflows/history-replay.test.ts).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { lockWorkflowId, stageWorkflowId } from '../../common/plan';
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

/** The patch IDs a history's patch markers name, in order. */
function patchMarkers(events: HistoryEvent[]): string[] {
  return events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id : '?';
    });
}

test('a promotion, its stage and the environment lock started now each record the baseline patch marker and no other', async () => {
  const plan = samplePlan((config) => {
    config.environments = config.environments.filter((e) => e.name === 'dev');
  });
  const { status, handle } = await runPromotion(env, stubActivities().activities, plan);
  expect(status.state).toBe('succeeded');

  const historyOf = async (workflowId: string) => (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  expect(patchMarkers(await historyOf(handle.workflowId))).toEqual(['ferry-patches-baseline-1']);
  expect(patchMarkers(await historyOf(stageWorkflowId(handle.workflowId, 'dev')))).toEqual(['ferry-patches-baseline-1']);
  expect(patchMarkers(await historyOf(lockWorkflowId(plan.app, 'dev')))).toEqual(['ferry-patches-baseline-1']);
  await recordIdleLockHistory(env, lockWorkflowId(plan.app, 'dev'));
});
