import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { samplePlan } from '../helpers/fixtures';
import { removeTempDirs, sampleRepo } from '../helpers/git-repo';
import { outcome, startPromotion } from '../helpers/promotions';
import { startTimeSkippingServer, TASK_QUEUE, workflowBundle } from '../helpers/temporal-env';
import { createFerryWorker } from '../../worker/create-worker';
import { workerSettings } from '../../worker/connection-options';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

test('the Ferry worker resolves, builds and tests for real, and stops clearly where it has no integration yet', async () => {
  const { repo, shas } = sampleRepo();
  const plan = samplePlan(
    (config) => {
      config.repo = repo.dir;
      config.build = { command: 'test "$(cat release.txt)" = second && echo "built $ARTIFACT"', timeout: 60_000 };
      config.test = { command: 'test -f first.txt', timeout: 60_000 };
      config.environments = config.environments.filter((e) => e.name === 'dev').map((e) => ({ ...e, database: undefined }));
    },
    { sha: shas.second },
  );
  const worker = await createFerryWorker({
    connection: env.nativeConnection,
    client: env.client,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
  });
  const status = await worker.runUntil(async () => outcome(await startPromotion(env, plan)));

  expect(status.commit).toMatchObject({ sha: shas.second, authorEmail: 'grace@example.com', subject: 'Add the second release' });
  expect(status.steps.map((s) => `${s.name}:${s.state}`)).toEqual(['resolve:succeeded', 'build:succeeded', 'test:succeeded']);
  expect(status.state).toBe('failed');
  expect(status.environments[0].error).toMatch(/deploy: this Ferry worker has no deployment target integration yet/);
});

afterAll(() => removeTempDirs());

test('worker settings come from the environment, with every problem named', () => {
  expect(workerSettings({})).toMatchObject({ address: 'localhost:7233', namespace: 'default', taskQueue: 'ferry' });
  expect(() => workerSettings({ TEMPORAL_TLS_CERT: '/etc/ferry/client.pem' })).toThrow(
    /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together/,
  );
  expect(() => workerSettings({ FERRY_TASK_QUEUE: '' })).toThrow(/FERRY_TASK_QUEUE: /);
});
