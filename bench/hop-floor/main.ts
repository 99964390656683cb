// ts-node --transpile-only bench/hop-floor/main.ts [--rounds N]
// What Temporal itself charges a decision on its way to the first change, by the shape of the
// workflows (bench/hop-floor/workflows.ts): the bare shape, a child workflow started on the
// decision or before it, another workflow asked by signals or by an update, on one dev server and
// one worker, interleaved rounds, p50/p95 of signal sent → change started, and each shape's p95
// over bare's.
// A goal below a shape's difference cannot be met by any design of that shape on this server.
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { z } from 'zod';
import { startTestDevServer } from '../../test/helpers/dev-server';
import { removeTempDirs } from '../../test/helpers/git-repo';
import { percentile } from '../orchestration/stats';
import { claimUpdate, goSignal, goUpdate, wentAheadQuery, type FloorActivities } from './workflows';

const argsSchema = z.object({ rounds: z.coerce.number().int().min(5).max(500).default(30) });
const TASK_QUEUE = 'ferry-bench-hop-floor';
const IDLE_MS = 300;
const SHAPES = {
  direct: 'the decision, then the change (bare)',
  viaChild: 'the change in a child workflow started on the decision',
  viaPeerSignals: 'another workflow hands over by signals, one each way',
  viaPeerUpdate: 'another workflow answers an update from a local activity',
  viaPeerUpdateAndChild: 'an update to another workflow, then the change in a child',
  viaStartedChildUpdate: 'the change in a child started before the decision, told by an update',
  viaStartedChildSignalChecked: 'the change in a child started before the decision, told by a signal it checks with its parent by a query',
  viaPeerUpdateStartedChildSignalChecked: 'an update to another workflow, then a child started before the decision told by a signal it checks',
} as const;
type Shape = keyof typeof SHAPES;
const SHAPE_NAMES = Object.keys(SHAPES) as Shape[];
/** A difference with its sign: a shape may come out faster than bare within the noise. */
const signed = (ms: number) => `${ms < 0 ? '−' : '+'}${Math.abs(ms).toFixed(0)} ms`;

async function main(): Promise<void> {
  const at = process.argv.indexOf('--rounds');
  const parsed = argsSchema.safeParse({ rounds: at === -1 ? undefined : process.argv[at + 1] });
  if (!parsed.success) {
    console.error(`--rounds: a whole number from 5 to 500, not ${JSON.stringify(process.argv[at + 1] ?? '')}`);
    process.exitCode = 2;
    return;
  }
  const { rounds } = parsed.data;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startTestDevServer();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const changedAt = new Map<string, number>();
  const activities: FloorActivities = {
    async change(run) {
      changedAt.set(run, Date.now());
    },
    claim: (peer) => client.workflow.getHandle(peer).executeUpdate(claimUpdate),
    release: (child) => client.workflow.getHandle(child).executeUpdate(goUpdate),
    confirm: (parent) => client.workflow.getHandle(parent).query(wentAheadQuery),
  };
  const workerConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({ connection: workerConnection, taskQueue: TASK_QUEUE, workflowsPath: require.resolve('./workflows'), activities });
  const samples = Object.fromEntries(SHAPE_NAMES.map((shape) => [shape, [] as number[]])) as Record<Shape, number[]>;
  try {
    await worker.runUntil(async () => {
      // The other workflow runs already, as an environment's lock does between promotions.
      const peer = 'hop-floor-peer';
      await client.workflow.start('peer', { taskQueue: TASK_QUEUE, workflowId: peer });
      let n = 0;
      const once = async (shape: Shape): Promise<number> => {
        const workflowId = `hop-floor-${shape}-${n++}`;
        const handle = await client.workflow.start(shape, { taskQueue: TASK_QUEUE, workflowId, args: shape.startsWith('viaPeer') ? [peer] : [] });
        await untilFirstTaskDone(client, workflowId);
        // Every decision meets an idle worker: the last round's workflows closed and left its cache.
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
        const sentAt = Date.now();
        await handle.signal(goSignal);
        await handle.result();
        const at = changedAt.get(workflowId);
        if (at === undefined) throw new Error(`${workflowId} ended without its change`);
        return at - sentAt;
      };
      for (const shape of SHAPE_NAMES) await once(shape); // warm-up, not counted
      for (let round = 0; round < rounds; round++) for (const shape of SHAPE_NAMES) samples[shape].push(await once(shape));
    });
  } finally {
    await workerConnection.close();
    await connection.close();
    await server.stop();
    removeTempDirs();
  }
  const bare = percentile(samples.direct, 95);
  console.log(
    `Decision → first change by the shape of the workflows: ${rounds} interleaved rounds, one worker, ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, Temporal dev server`,
  );
  console.log('');
  console.log('| shape | p50 | p95 | p95 over bare |');
  console.log('|---|---|---|---|');
  for (const shape of SHAPE_NAMES) {
    const p95 = percentile(samples[shape], 95);
    console.log(`| ${SHAPES[shape]} | ${percentile(samples[shape], 50).toFixed(0)} ms | ${p95.toFixed(0)} ms | ${shape === 'direct' ? '—' : signed(p95 - bare)} |`);
  }
}

/** Polls until the workflow's first workflow task has completed: it waits for the decision. */
async function untilFirstTaskDone(client: Client, workflowId: string): Promise<void> {
  for (let tries = 0; tries < 400; tries++) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    if ((history.events ?? []).some((e) => e.workflowTaskCompletedEventAttributes)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${workflowId} never finished its first workflow task`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
