// `ferry retry <id>`: the same commit with the same plan, starting at the environment that failed.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { earlierPlan, earlierRun } from '../earlier-run';
import { CliExit, ExitCode } from '../exit-codes';
import { parseFlags } from '../flags';
import { launch } from './start';

const retryFlags = z.object({ wait: z.boolean().default(false), json: z.boolean().default(false) });

export async function retry(connect: () => Promise<{ client: Client; close(): Promise<void> }>, workflowId: string, options: unknown, print: (line: string) => void) {
  const flags = parseFlags(retryFlags, options);
  const { client, close } = await connect();
  try {
    const earlier = await earlierRun(client, workflowId);
    if (!earlier) throw new CliExit(ExitCode.BadInput, `${workflowId}: no such promotion`);
    if (earlier.running) throw new CliExit(ExitCode.Refused, `${workflowId} is still running: nothing to retry`);
    if (earlier.state === 'succeeded') throw new CliExit(ExitCode.Refused, `${workflowId} succeeded: nothing to retry`);
    const plan = await earlierPlan(client, workflowId);
    if (!Array.isArray(plan.environments)) throw new CliExit(ExitCode.BadInput, `${workflowId} is not a promotion: a rollback is asked for again with ferry rollback`);
    const environments = plan.environments.map((e) => ({ ...e, skip: e.skip || earlier.promoted.includes(e.name) }));
    if (!flags.json) print(`retrying ${workflowId} from ${environments.find((e) => !e.skip)?.name ?? 'the start'} (${earlier.promoted.join(', ') || 'nothing'} already promoted)`);
    return await launch(client, { ...plan, environments }, flags, print);
  } finally {
    await close();
  }
}
