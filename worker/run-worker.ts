import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { WorkerSettings } from './connection-options';
import { createFerryWorker } from './create-worker';

/**
 * Serves one task queue until SIGINT or SIGTERM (the SDK's default shutdown signals); the
 * worker then drains running tasks before this returns.
 */
export async function runWorker(settings: WorkerSettings, log: (line: string) => void = console.info): Promise<void> {
  const connectOptions = { address: settings.address, tls: settings.tls, apiKey: settings.apiKey };
  const connection = await NativeConnection.connect(connectOptions);
  const client = new Client({ connection: await Connection.connect(connectOptions), namespace: settings.namespace });
  try {
    const worker = await createFerryWorker({
      connection,
      client,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      activities: { stateDir: settings.stateDir },
    });
    log(`ferry worker: ${settings.address}, namespace ${settings.namespace}, task queue ${settings.taskQueue}`);
    await worker.run();
  } finally {
    await connection.close();
    await client.connection.close();
  }
}
