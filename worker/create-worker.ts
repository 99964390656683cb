import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivitySettings } from '../activities';

export interface FerryWorkerOptions {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests); production bundles the workflows at start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  activities: ActivitySettings;
}

/** A worker that runs Ferry's workflows and activities on one task queue. */
export function createFerryWorker(options: FerryWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(options.client, options.activities),
  });
}
