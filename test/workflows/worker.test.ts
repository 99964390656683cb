import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { samplePlan } from '../helpers/fixtures';
import { outcome, startPromotion } from '../helpers/promotions';
import { startTimeSkippingServer, TASK_QUEUE, workflowBundle } from '../helpers/temporal-env';
import { createFerryWorker } from '../../worker/create-worker';
import { workerSettings } from '../../worker/connection-options';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

test('the Ferry worker starts with its registered activities and stops a promotion it cannot serve, clearly', async () => {
  const worker = await createFerryWorker({
    connection: env.nativeConnection,
    client: env.client,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
  });
  const status = await worker.runUntil(async () => outcome(await startPromotion(env, samplePlan())));

  expect(status.state).toBe('failed');
  expect(status.steps[0]).toMatchObject({ name: 'resolve', state: 'failed', attempts: 1 });
  expect(status.error).toMatch(/resolveCommit: this Ferry worker has no git integration yet/);
  expect(status.environments.every((e) => e.state === 'skipped')).toBe(true);
});

test('worker settings come from the environment, with every problem named', () => {
  expect(workerSettings({})).toMatchObject({ address: 'localhost:7233', namespace: 'default', taskQueue: 'ferry' });
  expect(() => workerSettings({ TEMPORAL_TLS_CERT: '/etc/ferry/client.pem' })).toThrow(
    /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together/,
  );
  expect(() => workerSettings({ FERRY_TASK_QUEUE: '' })).toThrow(/FERRY_TASK_QUEUE: /);
});
