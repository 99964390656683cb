// `ferry retry <id>`: the same commit with the same plan, starting at the environment that failed;
// the refs policy (from, after) is the config's as it is now, checked before anything starts.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { earlierPlan, earlierRun } from '../earlier-run';
import { CliExit, ExitCode } from '../exit-codes';
import { asBadInput, parseFlags } from '../flags';
import { loadConfig } from '../load-config';
import { policyRefusals } from '../release-policy-check';
import { withCurrentPolicy } from '../retry-policy';
import { launch } from './start';
import { isForMachines, noOutputConflict, OUTPUT_FLAG_NAMES, outputOf, outputShape } from '../output';

const retryFlags = z
  .object({ config: z.string().min(1).max(4_096).default('ferry.config.yaml'), wait: z.boolean().default(false), ...outputShape })
  .superRefine(noOutputConflict)
  .transform(outputOf);

export async function retry(connect: () => Promise<{ client: Client; close(): Promise<void> }>, workflowId: string, options: unknown, print: (line: string) => void) {
  const flags = parseFlags(retryFlags, options, OUTPUT_FLAG_NAMES);
  const { client, close } = await connect();
  try {
    const earlier = await earlierRun(client, workflowId);
    if (!earlier) throw new CliExit(ExitCode.BadInput, `${workflowId}: no such promotion`);
    if (earlier.running) throw new CliExit(ExitCode.Refused, `${workflowId} is still running: nothing to retry`);
    if (earlier.state === 'succeeded') throw new CliExit(ExitCode.Refused, `${workflowId} succeeded: nothing to retry`);
    const earlierOne = await earlierPlan(client, workflowId);
    if (!Array.isArray(earlierOne.environments)) throw new CliExit(ExitCode.BadInput, `${workflowId} is not a promotion: a rollback is asked for again with ferry rollback`);
    const skipped = { ...earlierOne, environments: earlierOne.environments.map((e) => ({ ...e, skip: e.skip || earlier.promoted.includes(e.name) })) };
    let plan;
    try {
      plan = withCurrentPolicy(skipped, loadConfig(flags.config), flags.config);
    } catch (error) {
      asBadInput(error);
    }
    const refusals = await policyRefusals(client, plan);
    if (refusals.length > 0) throw new CliExit(ExitCode.Refused, `refused, nothing started: ${refusals.join('; ')}`);
    if (!isForMachines(flags.output))
      print(`retrying ${workflowId} from ${plan.environments.find((e) => !e.skip)?.name ?? 'the start'} (${earlier.promoted.join(', ') || 'nothing'} already promoted)`);
    return await launch(client, plan, flags, print);
  } finally {
    await close();
  }
}
