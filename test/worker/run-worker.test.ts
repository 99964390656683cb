// `runWorker` (what `ferry worker` and `ferry serve` run) against a real dev server: the lock
// activities' client gets a connection of its own, outside the SDK's core, and a shutdown signal
// stops the worker.
import { Connection } from '@temporalio/client';
import { createFerryWorker } from '../../worker/create-worker';
import { workerSettings } from '../../worker/connection-options';
import { runWorker } from '../../worker/run-worker';
import { telemetrySettings } from '../../worker/telemetry/telemetry-settings';
import { untilPolled } from '../helpers/built-worker';
import { useDevServer } from '../helpers/dev-server';
import { tempDir } from '../helpers/git-repo';

// The real worker, its options kept for the test to read.
jest.mock('../../worker/create-worker', () => {
  const actual = jest.requireActual<typeof import('../../worker/create-worker')>('../../worker/create-worker');
  return { ...actual, createFerryWorker: jest.fn(actual.createFerryWorker) };
});

const dev = useDevServer();

test("the lock activities' client has a connection of its own, outside the SDK's core, and a signal stops the worker", async () => {
  const created = jest.mocked(createFerryWorker);
  const taskQueue = 'run-worker-connections';
  const settings = workerSettings({ TEMPORAL_ADDRESS: dev.server.address, FERRY_TASK_QUEUE: taskQueue, FERRY_STATE_DIR: tempDir('run-worker-state') });
  const running = runWorker(settings, () => undefined, telemetrySettings({ FERRY_LOG_LEVEL: 'WARN' }, false), undefined);
  let exited: unknown;
  running.catch((error) => (exited = error ?? 'rejected'));
  try {
    await untilPolled(dev.connection, taskQueue, () => (exited === undefined ? undefined : `runWorker failed: ${String(exited)}`));

    expect(created).toHaveBeenCalledTimes(1);
    const options = created.mock.calls[0][0];
    // On the worker's own connection the lock's queries and updates (each waiting on a workflow
    // task this worker completes) ran out their deadlines at 300 promotions at once
    // (worker/run-worker.ts).
    const lockConnection = options.client.connection;
    expect(lockConnection).toBeInstanceOf(Connection);
    expect(lockConnection).not.toBe(options.connection);
    // The same server, and like the worker's connection through no proxy from the environment.
    expect((lockConnection as Connection).options).toMatchObject({ address: dev.server.address, channelArgs: { 'grpc.enable_http_proxy': 0 } });
  } finally {
    process.emit('SIGTERM');
    await running.catch(() => undefined);
  }
  await expect(running).resolves.toBeUndefined();
}, 180_000);
