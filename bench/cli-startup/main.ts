// ts-node --transpile-only bench/cli-startup/main.ts [--rounds N]
// `ferry status <id>` from the build (as bin/ferry.js runs it once `npm run build` made dist/)
// against `temporal workflow describe` on the same dev server and workflow: interleaved rounds,
// min/median/max of each, and the ratio of the medians (the goal: at most 1.5×).
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { buildCheckout } from '../../test/helpers/built-worker';
import { startTestDevServer } from '../../test/helpers/dev-server';
import { removeTempDirs, tempDir } from '../../test/helpers/git-repo';
import { toolPaths } from '../../test/helpers/tools';

const argsSchema = z.object({ rounds: z.coerce.number().int().min(3).max(200).default(15) });
const GOAL = 1.5;

/** Milliseconds from spawn to exit; the command must exit as expected and print `expected` (a terminated promotion: ferry says 1). */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv, expectedCode: number, expected = 'ferry-bench-0000000', cwd?: string): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { env, encoding: 'utf8', cwd });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== expectedCode || !run.stdout.includes(expected)) throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return ms;
}

const stats = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
};

async function main(): Promise<void> {
  const at = process.argv.indexOf('--rounds');
  const { rounds } = argsSchema.parse({ rounds: at === -1 ? undefined : process.argv[at + 1] });
  const temporal = toolPaths().temporal;
  console.error('building Ferry (npm run build) into a scratch checkout');
  const built = buildCheckout(path.join(tempDir('cli-startup'), 'checkout'));
  const server = await startTestDevServer();
  try {
    // A closed promotion: `ferry status` reads it from its close event, no worker needed.
    const workflowId = 'ferry-bench-0000000';
    const connection = ['--address', server.address];
    execFileSync(temporal, ['workflow', 'start', ...connection, '--type', 'promotion', '--task-queue', 'ferry-bench-nobody', '--workflow-id', workflowId], { stdio: 'pipe' });
    execFileSync(temporal, ['workflow', 'terminate', ...connection, '--workflow-id', workflowId, '--reason', 'bench'], { stdio: 'pipe' });
    const env = { PATH: process.env.PATH, HOME: os.tmpdir(), TEMPORAL_ADDRESS: server.address };
    const ferry = () => timed(process.execPath, [built.ferry, 'status', workflowId, '-o', 'json'], env, 1);
    const describe = () => timed(temporal, ['workflow', 'describe', '--workflow-id', workflowId, '-o', 'json'], env, 0);
    // What no Node CLI gets under: Node itself, and Node loading Temporal's client (from the same build's node_modules).
    const nodeAlone = () => timed(process.execPath, ['-e', 'console.log("ok")'], env, 0, 'ok');
    const nodeWithClient = () => timed(process.execPath, ['-e', 'require("@temporalio/client"); console.log("ok")'], env, 0, 'ok', built.root);
    // One of each first, not counted: the first run after a build pays for a cold file cache.
    const runs = { ferry, describe, nodeAlone, nodeWithClient };
    for (const run of Object.values(runs)) run();
    const times = { ferry: [] as number[], describe: [] as number[], nodeAlone: [] as number[], nodeWithClient: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      for (const [name, run] of Object.entries(runs)) times[name as keyof typeof runs].push(run());
    }
    const [f, t] = [stats(times.ferry), stats(times.describe)];
    const row = (name: string, s: ReturnType<typeof stats>) => `| ${name} | ${s.min.toFixed(0)} | ${s.median.toFixed(0)} | ${s.max.toFixed(0)} |`;
    const ratio = f.median / t.median;
    console.log(`CLI start-up: ${rounds} interleaved rounds on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`);
    console.log('| command | min ms | median ms | max ms |\n|---|---|---|---|');
    console.log(row('ferry status <id> -o json (from the build)', f));
    console.log(row('temporal workflow describe -w <id> -o json', t));
    const floor = (name: string, ms: number[]) => `${row(name, stats(ms)).slice(0, -2)} (${(stats(ms).median / t.median).toFixed(2)}× describe) |`;
    console.log(floor('floor: node -e (Node alone)', times.nodeAlone));
    console.log(floor("floor: node -e require('@temporalio/client')", times.nodeWithClient));
    console.log(`ratio of medians: ${ratio.toFixed(2)}× (goal ≤ ${GOAL}×: ${ratio <= GOAL ? 'met' : 'NOT met'})`);
  } finally {
    await server.stop();
    removeTempDirs();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
