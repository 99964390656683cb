import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { InvalidInputError } from '../common/problems';
import { workerSettings } from './connection-options';
import { createFerryWorker } from './create-worker';

/** Runs until SIGINT or SIGTERM; the SDK then drains running tasks before it exits. */
async function main(): Promise<void> {
  const settings = workerSettings();
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
    console.info(`ferry worker: ${settings.address}, namespace ${settings.namespace}, task queue ${settings.taskQueue}`);
    await worker.run();
  } finally {
    await connection.close();
    await client.connection.close();
  }
}

main().catch((error) => {
  console.error(error instanceof InvalidInputError ? error.message : error);
  process.exit(error instanceof InvalidInputError ? 2 : 1);
});
