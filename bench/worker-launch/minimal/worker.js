// The baseline `ferry worker` is measured against: the smallest worker a Temporal user writes
// (a hello workflow, one activity), from a prebuilt bundle, started with plain node.
//   TEMPORAL_ADDRESS=… TASK_QUEUE=… WORKFLOW_BUNDLE=<file> node bench/worker-launch/minimal/worker.js
'use strict';
const { NativeConnection, Worker } = require('@temporalio/worker');

async function main() {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  try {
    const worker = await Worker.create({
      connection,
      namespace: process.env.TEMPORAL_NAMESPACE || 'default',
      taskQueue: process.env.TASK_QUEUE,
      workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE },
      activities: { greet: async (name) => `Hello, ${name}!` },
    });
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
