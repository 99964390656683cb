// What the search attributes of a promotion and its stage go through, upsert by upsert: a step's
// end alone upserts nothing (the step begun last stays shown until the next begins).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { stageWorkflowId } from '../../common/plan';
import { samplePlan } from '../helpers/fixtures';
import { decideUpdate } from '../../common/messages';
import { runPromotion, waitForStatus } from '../helpers/promotions';
import { runRollback, scenario } from '../helpers/rollbacks';
import { stubActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer } from '../helpers/temporal-env';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

/** Each upsert of Ferry's attributes as "environment/stage/state" (the SDK's own TemporalChangeVersion upserts left out). */
function positions(events: HistoryEvent[]): string[] {
  const value = (fields: Record<string, temporal.api.common.v1.IPayload>, key: string) => {
    const data = fields[key]?.data;
    return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : '?';
  };
  return events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {})
    .filter((fields) => 'FerryStage' in fields)
    .map((fields) => ['FerryEnvironment', 'FerryStage', 'FerryState'].map((key) => value(fields, key)).join('/'));
}

/** The attributes a workflow was started with, as "environment/stage/state". */
function startPosition(events: HistoryEvent[]): string {
  const fields = events[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields ?? {};
  return ['FerryEnvironment', 'FerryStage', 'FerryState'].map((key) => (fields[key]?.data ? (JSON.parse(Buffer.from(fields[key].data!).toString('utf8')) as string) : '?')).join('/');
}

test('a promotion through dev upserts once per step begun and per change of state, never a running workflow at no step', async () => {
  const plan = samplePlan((config) => {
    config.environments = config.environments.filter((e) => e.name === 'dev');
  });
  const { status, handle } = await runPromotion(env, stubActivities().activities, plan);
  expect(status.state).toBe('succeeded');

  expect(positions((await handle.fetchHistory()).events ?? [])).toEqual([
    'none/resolve/running',
    'none/build/running',
    'none/test/running',
    'none/prepare/running',
    'dev/lock/waiting',
    'dev/stage/running',
    'none/none/succeeded',
  ]);
  const stage = await env.client.workflow.getHandle(stageWorkflowId(handle.workflowId, 'dev')).fetchHistory();
  // Started at its first position by the promotion: no upsert of it.
  expect(startPosition(stage.events ?? [])).toBe('dev/none/running');
  expect(positions(stage.events ?? [])).toEqual(['dev/prepare/running', 'dev/migrate/running', 'dev/deploy/running', 'dev/stabilize/running', 'dev/none/succeeded']);
});

test('a rollback rejected at its approval shows as waiting there no longer, even while its notification goes out', async () => {
  const { plan, ledger } = scenario('production');
  // The clock stands still until the rejection is in: else the server skips to the gate's deadline.
  const testService = env.connection.testService!;
  await testService.lockTimeSkipping({});
  const { status, workflowId } = await runRollback(
    env,
    plan,
    () => ledger,
    {},
    async (handle) => {
      try {
        await waitForStatus(handle, (s) => s.environments[0].approval !== undefined, 'waiting for approval');
        await handle.executeUpdate(decideUpdate, { args: [{ decision: 'reject', environment: 'production', approver: 'olivia', reason: 'not now' }] });
      } finally {
        await testService.unlockTimeSkipping({});
      }
    },
  );
  expect(status.state).toBe('rejected');
  const shown = positions((await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []);
  // The notification is scheduled after the last upsert before the end; what shows meanwhile is the one before 'rejected'.
  expect(shown.slice(-3)).toEqual(['production/approval/waiting', 'production/none/running', 'production/none/rejected']);
});
