// ts-node --transpile-only bench/worker-launch/main.ts [--ferry build|build-without-bundle|sources] [--rounds N] [--idle-seconds S] [--json FILE]
// Prints the worker-launch rows in the bench's table format; --json writes them (FigureRow[],
// bench/orchestration/table.ts) for a table that includes them.
import fs from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { renderTable } from '../orchestration/table';
import { workerLaunchRows } from './measure';

const argsSchema = z.object({
  ferry: z.enum(['build', 'build-without-bundle', 'sources']).default('build'),
  rounds: z.coerce.number().int().min(1).max(50).default(5),
  'idle-seconds': z.coerce.number().min(0).max(600).default(10),
  json: z.string().min(1).max(1000).optional(),
});

function parseArgs(argv: string[]) {
  const pairs: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`expected --name value pairs, got ${argv.slice(i).join(' ')}`);
    pairs[argv[i].slice(2)] = argv[i + 1];
  }
  return argsSchema.strict().parse(pairs);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rows = await workerLaunchRows({
    rounds: args.rounds,
    idleMs: args['idle-seconds'] * 1000,
    ferryFrom: args.ferry,
    log: (line) => console.error(line),
  });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${args.rounds} interleaved rounds`;
  console.log(renderTable(rows, machine));
  if (args.json) fs.writeFileSync(args.json, JSON.stringify(rows, null, 1) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
