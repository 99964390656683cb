// `ferry worker` as a production user starts it (node bin/ferry.js worker, from the build, its
// settings in TEMPORAL_* variables) against a minimal worker (minimal/worker.js, a prebuilt
// bundle, plain node), on the same dev server, in interleaved rounds: launch → first poll as the
// server sees it (DescribeTaskQueue), then resident memory after a while idle.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { startDevServer } from '../../client/dev/temporal-dev-server';
import { buildCheckout, untilPolled } from '../../test/helpers/built-worker';
import { freePort } from '../../test/helpers/shop';
import { REPO_ROOT, toolPaths } from '../../test/helpers/tools';
import type { FigureRow } from '../orchestration/table';

/** Which Ferry is launched: the build (the figure the issue sets a goal for), or for comparison the sources or a build without its bundle. */
export type FerryFrom = 'build' | 'build-without-bundle' | 'sources';

export interface LaunchOptions {
  rounds: number;
  idleMs: number;
  ferryFrom: FerryFrom;
  /** An existing server (e.g. the orchestration bench's); one is started otherwise. */
  address?: string;
  log?: (line: string) => void;
}

interface Launch {
  toFirstPollMs: number;
  idleRssBytes: number;
}

const POLL_DEADLINE_MS = 180_000;

function rssBytes(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  if (!line) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(line[1]) * 1024;
}

/** Spawns one worker, times it to its first poll, lets it idle, reads its RSS, stops it. */
async function launchOnce(command: string[], env: NodeJS.ProcessEnv, taskQueue: string, connection: Connection, idleMs: number): Promise<Launch> {
  const started = performance.now();
  const child = spawn(process.execPath, command, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: os.tmpdir() });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await untilPolled(connection, taskQueue, () => {
      if (child.exitCode !== null) return `${command.join(' ')} exited with ${child.exitCode}:\n${output}`;
      if (performance.now() - started > POLL_DEADLINE_MS) return `no poll within ${POLL_DEADLINE_MS / 1000} s:\n${output}`;
      return undefined;
    });
    const toFirstPollMs = performance.now() - started;
    await delay(idleMs);
    return { toFirstPollMs, idleRssBytes: rssBytes(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function workerLaunchRows(options: LaunchOptions): Promise<FigureRow[]> {
  const log = options.log ?? (() => undefined);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-launch-'));
  const server = options.address
    ? undefined
    : await startDevServer({
        temporal: toolPaths().temporal,
        dbFile: path.join(scratch, 'temporal.db'),
        port: await freePort(),
        uiPort: await freePort(),
        logFile: path.join(scratch, 'temporal.log'),
      });
  const address = options.address ?? server!.address;
  const connection = await Connection.connect({ address });
  try {
    let ferryBin = path.join(REPO_ROOT, 'bin', 'ferry.js');
    let ferryBundle: string | undefined;
    if (options.ferryFrom !== 'sources') {
      log('building Ferry (npm run build) into a scratch checkout');
      const built = buildCheckout(path.join(scratch, 'checkout'));
      if (options.ferryFrom === 'build-without-bundle') fs.rmSync(path.join(built.dist, 'workflow-bundle.json'));
      ferryBin = built.ferry;
      if (options.ferryFrom === 'build') ferryBundle = path.join(built.dist, 'workflow-bundle.js');
    } else if (fs.existsSync(path.join(REPO_ROOT, 'dist'))) {
      throw new Error(`${path.join(REPO_ROOT, 'dist')} exists, so bin/ferry.js would run it, not the sources`);
    }
    const bareBundle = path.join(scratch, 'minimal-bundle.js');
    const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./minimal/workflows.js'), logger: new DefaultLogger('WARN') });
    fs.writeFileSync(bareBundle, code);

    const ferry = (round: number) => {
      const taskQueue = `launch-ferry-${round}`;
      const env = { TEMPORAL_ADDRESS: address, FERRY_TASK_QUEUE: taskQueue, FERRY_STATE_DIR: path.join(scratch, `state-${round}`) };
      return launchOnce([ferryBin, 'worker'], env, taskQueue, connection, options.idleMs);
    };
    // The minimal worker on `bundle`, with node's `nodeArgs` before it: bare runs its hello; the
    // floor runs the build's bundle (what Ferry's workflows cost), and with zod loaded first as
    // `ferry worker` loads it, its locales left out (what they and the schema library cost
    // together, the rest being Ferry's own main thread).
    const minimal =
      (name: string, bundle: string, nodeArgs: string[] = []) =>
      (round: number) => {
        const taskQueue = `launch-${name}-${round}`;
        const env = { TEMPORAL_ADDRESS: address, TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE: bundle };
        return launchOnce([...nodeArgs, require.resolve('./minimal/worker.js')], env, taskQueue, connection, options.idleMs);
      };
    const bare = minimal('bare', bareBundle);

    // One of each first, not counted: the first launch after a build pays for a cold file cache.
    const kinds = {
      ferry,
      bare,
      ...(ferryBundle
        ? { floor: minimal('floor', ferryBundle), floorWithZod: minimal('floor-zod', ferryBundle, ['-r', path.join(REPO_ROOT, 'bin', 'leave-out-zod-locales.js'), '-r', require.resolve('zod')]) }
        : {}),
    };
    const runs: Record<string, Launch[]> = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, []]));
    for (const launch of Object.values(kinds)) await launch(-1);
    for (let round = 0; round < options.rounds; round++) {
      // Alternate the order, so no kind always follows another's exit.
      const order = round % 2 === 0 ? Object.entries(kinds) : Object.entries(kinds).reverse();
      for (const [kind, launch] of order) runs[kind].push(await launch(round));
      const [f, b] = [runs.ferry.at(-1)!, runs.bare.at(-1)!];
      log(
        `round ${round + 1}/${options.rounds}: first poll ${Math.round(f.toFirstPollMs)} / ${Math.round(b.toFirstPollMs)} ms, idle RSS ${Math.round(f.idleRssBytes / 2 ** 20)} / ${Math.round(b.idleRssBytes / 2 ** 20)} MB (Ferry / minimal)`,
      );
    }
    const from = options.ferryFrom === 'build' ? 'from the build' : options.ferryFrom === 'sources' ? 'from sources' : 'from a build without its bundle';
    const idle = `${Math.round(options.idleMs / 1000)} s`;
    const floorRows = (name: string, what: string, launches: Launch[]): FigureRow[] => [
      {
        figure: `floor: the minimal worker running ${name}, RSS after ${idle} idle (bare: a minimal worker)`,
        unit: 'bytes',
        ferry: launches.map((r) => r.idleRssBytes),
        bare: runs.bare.map((r) => r.idleRssBytes),
        show: 'range',
        goal: { kind: 'stated', text: `the part of Ferry's RSS ${what}` },
      },
      {
        figure: `floor: the minimal worker running ${name}, launch → first poll (bare: a minimal worker)`,
        unit: 'ms',
        ferry: launches.map((r) => r.toFirstPollMs),
        bare: runs.bare.map((r) => r.toFirstPollMs),
        show: 'range',
        goal: { kind: 'stated', text: `the part of Ferry's launch ${what}` },
      },
    ];
    return [
      {
        figure: `\`ferry worker\` ${from}: launch → first poll (bare: a minimal worker)`,
        unit: 'ms',
        ferry: runs.ferry.map((r) => r.toFirstPollMs),
        bare: runs.bare.map((r) => r.toFirstPollMs),
        show: 'range',
        goal: { kind: 'ratio', atMost: 1.2, of: 'median' },
      },
      {
        figure: `\`ferry worker\` ${from}: RSS after ${idle} idle (bare: a minimal worker)`,
        unit: 'bytes',
        ferry: runs.ferry.map((r) => r.idleRssBytes),
        bare: runs.bare.map((r) => r.idleRssBytes),
        show: 'range',
        goal: { kind: 'ratio', atMost: 1.2, of: 'median' },
      },
      ...(runs.floor ? floorRows("Ferry's workflow bundle", 'its workflow code alone costs', runs.floor) : []),
      ...(runs.floorWithZod ? floorRows("Ferry's workflow bundle with zod loaded", 'its workflow code and zod cost', runs.floorWithZod) : []),
    ];
  } finally {
    await connection.close();
    await server?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
