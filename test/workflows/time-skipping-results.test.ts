// The tests' time-skipping client: results awaited at once must not let the test server's clock
// run past work still in progress. Each result() of the SDK's client unlocks time skipping while
// it waits and locks it again after; the server counts those together with the locks it holds
// for every running activity and pending task, so two waits at once took one lock too many: the
// clock jumped ten years while an activity still ran (the stage "timed out"), and the server's
// own lock for that activity, released later, failed its books and wedged it for the rest of
// the file.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PromotionStatus } from '../../common/status';
import { nextSha, samplePlan } from '../helpers/fixtures';
import { hold, stubActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker, TASK_QUEUE } from '../helpers/temporal-env';

const DAY_MS = 24 * 60 * 60_000;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

test("two results awaited at once: while one workflow's activity still runs after the other ended, the server's clock stays put and both succeed", async () => {
  const plan = samplePlan();
  const dev = { ...plan.environments.find((e) => e.name === 'dev')!, stabilize: 2_000, healthCheckInterval: 1_000 };
  const input = (promotionId: string) => ({ promotionId, app: 'shop', source: { repo: plan.repo, sha: plan.sha }, artifact: plan.artifact, environment: dev });
  const held = hold();
  const stub = stubActivities({
    migrateDatabase: async ({ promotionId }) => {
      if (promotionId.endsWith('held')) await held.here();
      return { applied: ['001_create_orders'] };
    },
  });
  const ids = ['ferry-shop-quick', 'ferry-shop-held'].map((id) => ({ promotionId: id, workflowId: `${id}-${nextSha().slice(0, 7)}` }));
  const worker = await startWorker(env, stub.activities);
  const startedAt = await env.currentTimeMs();

  const { outcomes, clockWhileHeld } = await worker.runUntil(async () => {
    const results = ids.map(({ promotionId, workflowId }) =>
      (env.client.workflow.execute('stage', { taskQueue: TASK_QUEUE, workflowId, args: [input(promotionId)] }) as Promise<PromotionStatus['environments'][0]>).then(
        (stage) => stage.state,
        (error: Error) => `failed: ${error.message}`,
      ),
    );
    await held.arrived;
    const quick = await results[0];
    // The window the double unlock opened: only the held activity's own lock left on the server.
    // Watched for a few seconds of wall time; the server, when it skips, jumps at once.
    let clockWhileHeld = await env.currentTimeMs();
    for (const until = Date.now() + 3_000; Date.now() < until && clockWhileHeld - startedAt < DAY_MS;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      clockWhileHeld = await env.currentTimeMs();
    }
    held.release();
    return { outcomes: [quick, await results[1]], clockWhileHeld };
  });

  expect(outcomes).toEqual(['succeeded', 'succeeded']);
  expect(clockWhileHeld - startedAt).toBeLessThan(DAY_MS);
});
