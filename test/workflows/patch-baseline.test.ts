// A run started now records one patch marker (the newest baseline) instead of one per patch: each marker
// costs two history events in every promotion, stage and lock. Runs recorded before replay their
// patches one by one (test/workflows/replay.test.ts).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { lockWorkflowId, stageWorkflowId } from '../../common/plan';
import { samplePlan } from '../helpers/fixtures';
import { patchMarkerIds, recordIdleLockHistory } from '../helpers/histories';
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

/** The patch markers recorded by the run's first workflow task: the baseline must be among them, or a replay meets it before its command. */
function firstTaskPatchMarkers(events: HistoryEvent[]): string[] {
  const secondTask = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)[1];
  return patchMarkerIds(secondTask ? events.filter((e) => Number(e.eventId) < Number(secondTask.eventId)) : events);
}

test('a promotion, its stage and the environment lock started now each record the newest baseline patch marker and no other, in their first workflow task', async () => {
  const plan = samplePlan((config) => {
    config.environments = config.environments.filter((e) => e.name === 'dev');
  });
  const { status, handle } = await runPromotion(env, stubActivities().activities, plan);
  expect(status.state).toBe('succeeded');

  const historyOf = async (workflowId: string) => (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  for (const workflowId of [handle.workflowId, stageWorkflowId(handle.workflowId, 'dev'), lockWorkflowId(plan.app, 'dev')]) {
    const events = await historyOf(workflowId);
    expect({ workflowId, all: patchMarkerIds(events), first: firstTaskPatchMarkers(events) }).toEqual({ workflowId, all: ['ferry-patches-baseline-6'], first: ['ferry-patches-baseline-6'] });
  }
  await recordIdleLockHistory(env, lockWorkflowId(plan.app, 'dev'));
});
