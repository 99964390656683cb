// One worker in a process of its own, so its CPU time and memory are its own: it runs one bundle
// on one task queue with no activities (the workflows started here only wait).
import { NativeConnection, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { setTimeout as delay } from 'node:timers/promises';
import { ferryDataConverter } from '../../common/data-converter';
import { childArgsSchema, replySchema, requestSchema, type Reply, type Stats } from './ipc';

function send(reply: Reply): void {
  process.send!(replySchema.parse(reply));
}

function stats(worker: Worker): Stats {
  // Needs --expose-gc: without a collection, garbage of the main thread would count as workflow memory.
  (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  return { cpuMicros: cpu.user + cpu.system, rssBytes: process.memoryUsage().rss, cachedWorkflows: worker.getStatus().numCachedWorkflows };
}

async function settle(worker: Worker, cached: number): Promise<Stats> {
  for (;;) {
    const status = worker.getStatus();
    if (status.numCachedWorkflows >= cached && status.numInFlightWorkflowActivations === 0) return stats(worker);
    await delay(20);
  }
}

async function main(): Promise<void> {
  const args = childArgsSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: args.address }),
    taskQueue: args.taskQueue,
    workflowBundle: { codePath: args.bundlePath },
    ...(args.ferryConverter ? { dataConverter: ferryDataConverter } : {}),
  });
  const running = worker.run();
  process.on('message', (raw) => {
    const request = requestSchema.parse(raw);
    if (request.type === 'settle') {
      void settle(worker, request.cached).then((s) => send({ type: 'settled', stats: s }));
    } else {
      worker.shutdown();
      void running.then(() => {
        send({ type: 'stopped' });
        process.exit(0);
      });
    }
  });
  send({ type: 'ready', stats: stats(worker) });
  await running;
}

main().catch((error) => {
  send({ type: 'failed', error: String(error?.stack ?? error).slice(0, 10_000) });
  process.exit(1);
});
