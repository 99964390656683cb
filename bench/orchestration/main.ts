// `npm run bench`, orchestration part: Ferry's workflows against a bare workflow doing the same
// work, on a real Temporal dev server, each worker in a process of its own. Prints one markdown
// table on stdout. Exits non-zero only when the harness fails, never on a missed goal.
import { ferryBundlerOptions } from '../../common/workflow-bundle';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { freePort } from '../../activities/targets/local/probes';
import { startDevServer } from '../../client/dev/temporal-dev-server';
import { ferryDataConverter } from '../../common/data-converter';
import { toolPaths } from '../../test/helpers/tools';
import { compileWorker, type CompiledWorker } from './compiled-worker';
import type { BenchContext } from './context';
import type { Kind } from './ipc';
import { PRODUCERS } from './producers';
import { AT_ONCE_RUNS } from './at-once-runs';
import { scaleFromEnv, type Scale } from './scale';
import { renderTable, type FigureRow } from './table';

const WORKFLOWS: Record<Kind, string> = { ferry: '../../workflows', bare: './bare-workflow', floor: './floor-workflow' };

async function bundle(dir: string, kind: Kind): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(WORKFLOWS[kind]),
    // Ferry's as `npm run build` makes it (worker/make-bundle.ts).
    ...(kind === 'ferry' ? { payloadConverterPath: ferryDataConverter.payloadConverterPath, ...ferryBundlerOptions(require.resolve(WORKFLOWS[kind])) } : {}),
    logger: new DefaultLogger('WARN'),
  });
  const file = path.join(dir, `${kind}-workflows.js`);
  fs.writeFileSync(file, code);
  return file;
}

function machine(temporal: string, scale: Scale): string {
  const cpus = os.cpus();
  const version = (() => {
    try {
      return execFileSync(temporal, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'temporal (version unknown)';
    }
  })();
  return (
    `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${version} dev server (SQLite); ` +
    `scale: ${scale.rounds} rounds, ${scale.approvals} approvals, ${scale.concurrent} at once${scale.atOnceCache ? ` (cache ${scale.atOnceCache})` : ''}${scale.atOnceRuns.length < AT_ONCE_RUNS.length ? ` (runs: ${scale.atOnceRuns.join(', ')})` : ''}, ${scale.shared} sharing an app, ${scale.waiting} waiting (brought to their approval ${scale.waitingWave} at a time; ${scale.waitingApprovals} approved after ${scale.idleMs / 1000} s idle${scale.waitingCache ? `, cache ${scale.waitingCache}` : ''}); figures: ${scale.figures.join(', ')}`
  );
}

async function main(): Promise<void> {
  const scale = scaleFromEnv();
  const say = (line: string) => console.error(`[bench] ${line}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-orchestration-'));
  const temporal = toolPaths().temporal;
  const server = await startDevServer({
    temporal,
    dbFile: path.join(dir, 'temporal.db'),
    port: await freePort(),
    uiPort: await freePort(),
    logFile: path.join(dir, 'temporal.log'),
  });
  const connection = await Connection.connect({ address: server.address });
  let worker: CompiledWorker | undefined;
  try {
    say(`dev server on ${server.address}; compiling the worker and bundling the workflows`);
    worker = compileWorker();
    const ctx: BenchContext = {
      client: new Client({ connection, dataConverter: ferryDataConverter }),
      address: server.address,
      workerEntry: worker.entry,
      bundles: { ferry: await bundle(dir, 'ferry'), bare: await bundle(dir, 'bare'), floor: await bundle(dir, 'floor') },
      scale,
      runTag: `b${Date.now().toString(36).slice(-6)}`,
      say,
    };
    const rows: FigureRow[] = [];
    for (const name of scale.figures) rows.push(...(await PRODUCERS[name](ctx)));
    console.log(renderTable(rows, machine(temporal, scale)));
  } finally {
    worker?.remove();
    await connection.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
