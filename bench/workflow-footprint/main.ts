// What one waiting workflow costs a worker: resident memory per cached workflow and CPU per
// workflow start, Ferry's environment lock (idle, no holder) against a workflow that only waits,
// on a real dev server, each worker in a process of its own, kinds interleaved per round. Two
// more kinds run Ferry's bundle with zod stubbed out (and with zod evaluated but no schema built)
// to show whose cost it is; two more send each workflow one message with its start, the case
// where a workflow does need a schema (kinds.ts). Prints a markdown table; exits non-zero only
// when the harness fails. FOOTPRINT_WORKFLOWS (default 200) and FOOTPRINT_ROUNDS (default 3)
// scale it; FOOTPRINT_KINDS picks kinds.
import { ferryBundlerOptions } from '../../common/workflow-bundle';
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
import { baselineOf, KIND_NAMES, KINDS, type Kind } from './kinds';
import { FootprintWorker } from './worker-child';

const WARM_UP = 5;
const START_BATCH = 50;

function positiveFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 5_000) throw new Error(`${name} must be a whole number from 1 to 5000, not ${JSON.stringify(text)}`);
  return value;
}

async function bundle(dir: string, kind: Kind): Promise<string> {
  const spec = KINDS[kind];
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(spec.workflows),
    ...(spec.ferry ? { payloadConverterPath: ferryDataConverter.payloadConverterPath, ...ferryBundlerOptions(require.resolve(spec.workflows)) } : {}),
    ...('preload' in spec ? { preloadModules: spec.preload } : {}),
    logger: new DefaultLogger('WARN'),
    webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, alias: { ...(config.resolve?.alias as object), ...spec.stubs } } }),
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
  const { ferry, messaged } = KINDS[kind];
  const start = (i: number) => {
    const workflowType = ferry ? 'environmentLock' : 'waiting';
    const options = { taskQueue, workflowId: ferry ? `ferry-lock/${taskQueue}/env-${i}` : `${taskQueue}-${i}`, args: ferry ? [{ queue: [] }] : [] };
    return messaged ? client.workflow.signalWithStart(workflowType, { ...options, signal: 'acquire', signalArgs: [{}] }) : client.workflow.start(workflowType, options);
  };
  for (let at = from; at < from + count; at += START_BATCH) {
    await Promise.all(Array.from({ length: Math.min(START_BATCH, from + count - at) }, (_, i) => start(at + i)));
  }
}

async function measure(args: { address: string; client: Client; kind: Kind; bundlePath: string; round: number; workflows: number }): Promise<Sample> {
  const taskQueue = `footprint-${args.kind}-${args.round}`;
  const { worker } = await FootprintWorker.start({ address: args.address, taskQueue, bundlePath: args.bundlePath, ferryConverter: KINDS[args.kind].ferry });
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

function table(kinds: Kind[], samples: Record<Kind, Sample[]>, workflows: number, rounds: number): string {
  const ratio = (kind: Kind, of: keyof Sample) => samples[kind].map((s, i) => s[of] / samples[baselineOf(kind)][i][of]);
  const row = (kind: Kind) => {
    const own = baselineOf(kind) === kind;
    return [
      kind,
      triple(
        samples[kind].map((s) => s.mbPerWorkflow),
        3,
      ),
      own ? '1' : triple(ratio(kind, 'mbPerWorkflow'), 2),
      triple(
        samples[kind].map((s) => s.cpuMsPerStart),
        2,
      ),
      own ? '1' : triple(ratio(kind, 'cpuMsPerStart'), 2),
    ];
  };
  return [
    `${workflows} waiting workflows per worker after ${WARM_UP} to warm it, ${rounds} rounds, kinds interleaved; min / median / max; ratios paired by round against bare (the messaged kinds against bare-messaged)`,
    '',
    '| kind | MB per cached workflow (RSS) | ratio | CPU ms per workflow start | ratio |',
    '|---|---|---|---|---|',
    ...kinds.map((kind) => `| ${row(kind).join(' | ')} |`),
  ].join('\n');
}

/** FOOTPRINT_KINDS: a comma-separated subset of the kinds; the baselines they are compared with always run. */
function kindsFromEnv(): Kind[] {
  const text = process.env.FOOTPRINT_KINDS;
  if (!text) return KIND_NAMES;
  const asked = text.split(',').map((name) => name.trim());
  const unknown = asked.filter((name) => !KIND_NAMES.includes(name as Kind));
  if (unknown.length > 0) throw new Error(`FOOTPRINT_KINDS names no kind ${unknown.join(', ')}; the kinds are ${KIND_NAMES.join(', ')}`);
  const wanted = new Set((asked as Kind[]).flatMap((kind) => [baselineOf(kind), kind]));
  return KIND_NAMES.filter((kind) => wanted.has(kind));
}

async function main(): Promise<void> {
  const workflows = positiveFromEnv('FOOTPRINT_WORKFLOWS', 200);
  const rounds = positiveFromEnv('FOOTPRINT_ROUNDS', 3);
  const kinds = kindsFromEnv();
  const say = (line: string) => console.error(`[footprint] ${line}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-footprint-'));
  const bundles = {} as Record<Kind, string>;
  for (const kind of kinds) bundles[kind] = await bundle(dir, kind);
  const server = await startDevServer({
    temporal: toolPaths().temporal,
    dbFile: path.join(dir, 'temporal.db'),
    port: await freePort(),
    uiPort: await freePort(),
    logFile: path.join(dir, 'temporal.log'),
  });
  const connection = await Connection.connect({ address: server.address });
  const bare = new Client({ connection });
  const ferry = new Client({ connection, dataConverter: ferryDataConverter });
  const samples = Object.fromEntries(kinds.map((kind) => [kind, [] as Sample[]])) as Record<Kind, Sample[]>;
  try {
    for (let round = 0; round < rounds; round++) {
      // Rotated per round, so no kind always runs first on a cold machine.
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]);
      for (const kind of order) {
        const client = KINDS[kind].ferry ? ferry : bare;
        const sample = await measure({ address: server.address, client, kind, bundlePath: bundles[kind], round, workflows });
        samples[kind].push(sample);
        say(`round ${round + 1}/${rounds} ${kind}: ${fmt(sample.mbPerWorkflow, 3)} MB per cached workflow, ${fmt(sample.cpuMsPerStart, 2)} ms CPU per start`);
      }
    }
  } finally {
    await connection.close();
    await server.stop();
  }
  console.log(table(kinds, samples, workflows, rounds));
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
