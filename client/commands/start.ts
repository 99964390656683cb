// `ferry start`: resolve the ref here (the workflow ID names the commit), then start the promotion.
import os from 'node:os';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { resolveCommit } from '../../activities/git';
import { buildPlan, promotionWorkflowId } from '../../common/plan';
import { CliExit, ExitCode } from '../exit-codes';
import { asBadInput, parseFlags } from '../flags';
import { follow } from '../follow';
import { loadConfig } from '../load-config';
import { isSuccess, statusTable } from '../status-table';

export const startFlagsSchema = z.object({
  config: z.string().min(1).default('ferry.config.yaml'),
  ref: z.string().trim().min(1, 'must name a branch, tag or commit').default('HEAD'),
  to: z.string().min(1).optional(),
  as: z.string().trim().min(1).optional(),
  wait: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** Who asked, for the record and for preventSelfApproval: --as, else CI's actor, else the user. */
function requester(flag?: string): string {
  return flag ?? process.env.GITHUB_ACTOR ?? process.env.GITLAB_USER_LOGIN ?? os.userInfo().username;
}

export async function start(connect: () => Promise<{ client: Client; close(): Promise<void> }>, options: unknown, print: (line: string) => void) {
  const flags = parseFlags(startFlagsSchema, options);
  let plan;
  try {
    const config = loadConfig(flags.config);
    const commit = await resolveCommit({ repo: config.repo, ref: flags.ref }).catch((error: unknown) => {
      if (error instanceof ApplicationFailure) throw new CliExit(ExitCode.BadInput, `--ref: ${error.message}`);
      throw error;
    });
    plan = buildPlan(config, { sha: commit.sha, ref: flags.ref, requestedBy: requester(flags.as) }, { to: flags.to });
  } catch (error) {
    asBadInput(error);
  }

  const workflowId = promotionWorkflowId(plan.app, plan.sha);
  const { client, close } = await connect();
  try {
    try {
      await client.workflow.start('promotion', { taskQueue: plan.taskQueue, workflowId, args: [plan] });
    } catch (error) {
      // The same commit again (a re-run CI job): follow the promotion that is already going.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      if (!flags.json) print(`${workflowId} is already running this commit; following it`);
    }
    if (!flags.wait) {
      print(flags.json ? JSON.stringify({ workflowId }) : workflowId);
      return ExitCode.Done;
    }
    if (!flags.json) print(`${workflowId}: promoting ${plan.artifact} (${flags.ref}) through ${plan.environments.map((e) => e.name).join(' → ')}`);
    const status = await follow(client, workflowId, flags.json ? () => undefined : print);
    print(flags.json ? JSON.stringify(status, null, 2) : statusTable(status));
    return isSuccess(status) ? ExitCode.Done : ExitCode.Failed;
  } finally {
    await close();
  }
}
