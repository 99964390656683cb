// What one waiting workflow costs a worker: resident memory per cached workflow and CPU per
// workflow start, Ferry's environment lock (idle, no holder) against a workflow that only waits,
// on a real dev server, each worker in a process of its own, kinds interleaved per round. A third
// kind runs Ferry's bundle with zod stubbed out, to show how much of the cost is zod and the
// schemas; a fourth evaluates zod but builds no schema, to tell the two apart. Prints a markdown table; exits non-zero only when the harness fails.
// FOOTPRINT_WORKFLOWS (default 200) and FOOTPRINT_ROUNDS (default 3) scale it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { freePort } from '../../activities/targets/local/probes';
import { startDevServer } from '../../client/dev/temporal-dev-server';
import { ferryDataConverter } from '../../common/data-converter';
import { toolPaths } from '../../test/helpers/tools';
import { summarize } from '../orchestration/stats';
import { FootprintWorker } from './worker-child';

const KINDS = ['bare', 'ferry', 'ferry-without-zod', 'ferry-zod-without-schemas'] as const;
type Kind = (typeof KINDS)[number];
const WARM_UP = 5;
/** What each kind's bundle takes in place of zod. */
const STUBS: Record<Kind, Record<string, string>> = {
  bare: {},
  ferry: {},
  'ferry-without-zod': { zod$: require.resolve('./zod-stub') },
  'ferry-zod-without-schemas': { zod$: require.resolve('./zod-loaded-stub') },
};
const START_BATCH = 50;

function positiveFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 5_000) throw new Error(`${name} must be a whole number from 1 to 5000, not ${JSON.stringify(text)}`);
  return value;
}

async function bundle(dir: string, kind: Kind): Promise<string> {
  const ferry = kind !== 'bare';
  const { code } = await bundleWorkflowCode({
    workflowsPath: ferry ? require.resolve('../../workflows') : require.resolve('./waiting-workflow'),
    ...(ferry ? { payloadConverterPath: ferryDataConverter.payloadConverterPath } : {}),
    logger: new DefaultLogger('WARN'),
    webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, alias: { ...(config.resolve?.alias as object), ...STUBS[kind] } } }),
  });
  const file = path.join(dir, `${kind}-workflows.js`);
  fs.writeFileSync(file, code);
  return file;
}

interface Sample {
  mbPerWorkflow: number;
  cpuMsPerStart: number;
}

async function startWaiting(client: Client, kind: Kind, taskQueue: string, from: number, count: number): Promise<void> {
  for (let at = from; at < from + count; at += START_BATCH) {
    const ids = Array.from({ length: Math.min(START_BATCH, from + count - at) }, (_, i) => at + i);
    await Promise.all(
      ids.map((i) =>
        kind === 'bare'
          ? client.workflow.start('waiting', { taskQueue, workflowId: `${taskQueue}-${i}` })
          : client.workflow.start('environmentLock', { taskQueue, workflowId: `ferry-lock/${taskQueue}/env-${i}`, args: [{ queue: [] }] }),
      ),
    );
  }
}

async function measure(args: { address: string; client: Client; kind: Kind; bundlePath: string; round: number; workflows: number }): Promise<Sample> {
  const taskQueue = `footprint-${args.kind}-${args.round}`;
  const { worker } = await FootprintWorker.start({ address: args.address, taskQueue, bundlePath: args.bundlePath, ferryConverter: args.kind !== 'bare' });
  try {
    // The first workflows pay for the bundle's first load and the worker's own warm-up.
    await startWaiting(args.client, args.kind, taskQueue, 0, WARM_UP);
    const before = await worker.settle(WARM_UP);
    await startWaiting(args.client, args.kind, taskQueue, WARM_UP, args.workflows);
    const after = await worker.settle(WARM_UP + args.workflows);
    return {
      mbPerWorkflow: (after.rssBytes - before.rssBytes) / args.workflows / 2 ** 20,
      cpuMsPerStart: (after.cpuMicros - before.cpuMicros) / args.workflows / 1000,
    };
  } finally {
    await worker.stop();
  }
}

const fmt = (n: number, digits: number) => n.toFixed(digits);
const triple = (values: number[], digits: number) => {
  const s = summarize(values);
  return `${fmt(s.min, digits)} / ${fmt(s.median, digits)} / ${fmt(s.max, digits)}`;
};

async function main(): Promise<void> {
  const workflows = positiveFromEnv('FOOTPRINT_WORKFLOWS', 200);
  const rounds = positiveFromEnv('FOOTPRINT_ROUNDS', 3);
  const say = (line: string) => console.error(`[footprint] ${line}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-footprint-'));
  const bundles = Object.fromEntries(await Promise.all(KINDS.map(async (kind) => [kind, await bundle(dir, kind)] as const))) as Record<Kind, string>;
  const server = await startDevServer({
    temporal: toolPaths().temporal,
    dbFile: path.join(dir, 'temporal.db'),
    port: await freePort(),
    uiPort: await freePort(),
    logFile: path.join(dir, 'temporal.log'),
  });
  const connection = await Connection.connect({ address: server.address });
  const clients: Record<Kind, Client> = {
    bare: new Client({ connection }),
    ferry: new Client({ connection, dataConverter: ferryDataConverter }),
    'ferry-without-zod': new Client({ connection, dataConverter: ferryDataConverter }),
    'ferry-zod-without-schemas': new Client({ connection, dataConverter: ferryDataConverter }),
  };
  const samples = Object.fromEntries(KINDS.map((kind) => [kind, [] as Sample[]])) as Record<Kind, Sample[]>;
  try {
    for (let round = 0; round < rounds; round++) {
      // Rotated per round, so no kind always runs first on a cold machine.
      const order = KINDS.map((_, i) => KINDS[(i + round) % KINDS.length]);
      for (const kind of order) {
        const sample = await measure({ address: server.address, client: clients[kind], kind, bundlePath: bundles[kind], round, workflows });
        samples[kind].push(sample);
        say(`round ${round + 1}/${rounds} ${kind}: ${fmt(sample.mbPerWorkflow, 3)} MB per cached workflow, ${fmt(sample.cpuMsPerStart, 2)} ms CPU per start`);
      }
    }
  } finally {
    await connection.close();
    await server.stop();
  }
  const ratio = (kind: Kind, of: keyof Sample) => samples[kind].map((s, i) => s[of] / samples.bare[i][of]);
  const lines = [
    `${workflows} waiting workflows per worker, ${rounds} rounds, kinds interleaved; min / median / max; ratios paired by round against bare`,
    '',
    '| kind | MB per cached workflow | ratio | CPU ms per workflow start | ratio |',
    '|---|---|---|---|---|',
    ...KINDS.map((kind) =>
      [
        kind,
        triple(
          samples[kind].map((s) => s.mbPerWorkflow),
          3,
        ),
        kind === 'bare' ? '1' : triple(ratio(kind, 'mbPerWorkflow'), 2),
        triple(
          samples[kind].map((s) => s.cpuMsPerStart),
          2,
        ),
        kind === 'bare' ? '1' : triple(ratio(kind, 'cpuMsPerStart'), 2),
      ].join(' | '),
    ).map((row) => `| ${row} |`),
  ];
  console.log(lines.join('\n'));
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
