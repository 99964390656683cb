// `ferry start`: resolve the ref here (the workflow ID names the commit), then start the promotion.
import os from 'node:os';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { resolveCommit } from '../../git/repository';
import { buildPlan, promotionWorkflowId, type PromotionPlan } from '../../common/plan';
import { earlierRun } from '../earlier-run';
import { CliExit, ExitCode } from '../exit-codes';
import { asBadInput, parseFlags } from '../flags';
import { follow } from '../follow';
import { loadConfig } from '../load-config';
import { exitCodeOf } from './inspect';
import { outcomeTable } from '../status-table';
import { policyRefusals } from '../release-policy-check';
import { isForMachines, noOutputConflict, OUTPUT_FLAG_NAMES, outputOf, outputShape, render, type OutputFormat } from '../output';

export const startFlagsSchema = z
  .object({
    config: z.string().min(1).default('ferry.config.yaml'),
    ref: z.string().trim().min(1, 'must name a branch, tag or commit').default('HEAD'),
    to: z.string().min(1).optional(),
    as: z.string().trim().min(1).optional(),
    wait: z.boolean().default(false),
    /** Promote again through environments an earlier run of this commit already promoted. */
    force: z.boolean().default(false),
    ...outputShape,
  })
  .superRefine(noOutputConflict)
  .transform(outputOf);

/** Who asked, for the record and for preventSelfApproval: --as, else CI's actor, else the user. */
function requester(flag?: string): string {
  return flag ?? process.env.GITHUB_ACTOR ?? process.env.GITLAB_USER_LOGIN ?? os.userInfo().username;
}

export async function start(connect: () => Promise<{ client: Client; close(): Promise<void> }>, options: unknown, print: (line: string) => void) {
  const flags = parseFlags(startFlagsSchema, options, OUTPUT_FLAG_NAMES);
  const quiet = isForMachines(flags.output);
  let plan: PromotionPlan;
  try {
    const config = loadConfig(flags.config);
    // The ref is resolved here, not on a worker, so a private repository's credential must be set here too.
    const credentialsEnv = config.repoCredentialsEnv;
    if (credentialsEnv !== undefined && !process.env[credentialsEnv]) {
      throw new CliExit(
        ExitCode.BadInput,
        `repoCredentialsEnv: ${credentialsEnv} is not set; ferry start resolves --ref in ${config.repo} itself, so it needs the credential where it runs as well as on the workers`,
      );
    }
    const commit = await resolveCommit({ repo: config.repo, ref: flags.ref, credentialsEnv }).catch((error: unknown) => {
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
    // This commit went some of the way before (main to staging, now on to production): those
    // environments are recorded as skipped rather than promoted twice, unless --force asks for
    // them again (a new run of the same workflow ID; a run still going is joined, not doubled).
    const earlier = await earlierRun(client, workflowId);
    const promoted = earlier?.promoted.filter((name) => plan.environments.some((e) => e.name === name)) ?? [];
    if (promoted.length > 0 && flags.force) {
      if (!quiet) print(`${workflowId} already promoted ${promoted.join(', ')}: --force promotes it there again`);
    } else if (promoted.length > 0) {
      plan = { ...plan, environments: plan.environments.map((e) => ({ ...e, skip: e.skip || promoted.includes(e.name) })) };
      if (!quiet) print(`${workflowId} already promoted ${promoted.join(', ')}: skipping them`);
    }
    // A run still going is joined: it was checked when it started.
    if (!earlier?.running) {
      const refusals = await policyRefusals(client, plan);
      if (refusals.length > 0) throw new CliExit(ExitCode.Refused, `refused, nothing started: ${refusals.join('; ')}`);
    }
    return await launch(client, plan, flags, print);
  } finally {
    await close();
  }
}

/** Starts (or, for the same commit, joins) a promotion; with --wait follows it to its end. */
export async function launch(client: Client, plan: PromotionPlan, flags: { wait: boolean; output: OutputFormat }, print: (line: string) => void) {
  const workflowId = promotionWorkflowId(plan.app, plan.sha);
  const quiet = isForMachines(flags.output);
  try {
    await client.workflow.start('promotion', { taskQueue: plan.taskQueue, workflowId, args: [plan] });
  } catch (error) {
    // The same commit again while it runs (a re-run CI job): follow the promotion already going.
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    if (!quiet) print(`${workflowId} is already running this commit; following it`);
  }
  if (!flags.wait) {
    print(flags.output === 'json' ? JSON.stringify({ workflowId }) : render(flags.output, { workflowId }, () => workflowId));
    return ExitCode.Done;
  }
  const through = plan.environments.filter((e) => !e.skip).map((e) => e.name);
  if (!quiet) print(`${workflowId}: promoting ${plan.artifact} (${plan.ref}) through ${through.join(' → ')}`);
  const outcome = await follow(client, workflowId, quiet ? () => undefined : print);
  print(render(flags.output, outcome, () => outcomeTable(outcome)));
  return exitCodeOf(outcome);
}
