// `ferry rollback`: an environment back to an earlier release of its ledger. The release is chosen
// here, from the ledger the environment's lock answers, so a mistake is refused before anything
// starts; the workflow checks it again under the lock.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { ledgerQuery, type EnvironmentLedger } from '../../common/ledger';
import { lockWorkflowId, shortSha } from '../../common/plan';
import { chooseRollbackTarget, commitPrefixSchema, refuseRestoreWithoutBackup, refuseUnsureLedger, rollbackRequestSchema, rollbackWorkflowId, type RollbackPlan } from '../../common/rollback-plan';
import { environmentLedgerSchema, LEDGER_QUERY_DEADLINE_MS } from '../envs/gather';
import { CliExit, ExitCode } from '../exit-codes';
import { asBadInput, parseFlags } from '../flags';
import { follow } from '../follow';
import { loadConfig } from '../load-config';
import { outcomeTable } from '../status-table';
import { briefly } from '../transient';
import { exitCodeOf } from './inspect';
import { isForMachines, noOutputConflict, OUTPUT_FLAG_NAMES, outputOf, outputShape, render } from '../output';

type Connect = () => Promise<{ client: Client; close(): Promise<void> }>;

export const rollbackFlagsSchema = z
  .object({
    app: z.string().min(1).max(100, 'must be at most 100 characters'),
    config: z.string().min(1, 'must name a file').max(4_096).default('ferry.config.yaml'),
    env: z.string().min(1, 'must name an environment').max(100, 'must be at most 100 characters'),
    to: commitPrefixSchema.optional(),
    as: z.string().trim().min(1, 'must name a person').max(200, 'must be at most 200 characters'),
    reason: z.string().trim().min(1, 'must say why').max(2_000, 'must be at most 2000 characters'),
    emergency: z.boolean().default(false),
    wait: z.boolean().default(false),
    ...outputShape,
  })
  .superRefine(noOutputConflict)
  .transform(outputOf);
const FLAG_NAMES = { app: '<app>', config: '-c/--config', ...OUTPUT_FLAG_NAMES };

export async function rollback(connect: Connect, app: string, options: Record<string, unknown>, print: (line: string) => void) {
  const flags = parseFlags(rollbackFlagsSchema, { ...options, app }, FLAG_NAMES);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(flags.config);
  } catch (error) {
    asBadInput(error);
  }
  if (config.app !== flags.app) throw new CliExit(ExitCode.BadInput, `<app>: ${flags.config} is the config of ${config.app}, not ${flags.app} (-c names another)`);
  const configured = config.environments.find((e) => e.name === flags.env);
  if (!configured) {
    throw new CliExit(ExitCode.BadInput, `--env: ${flags.app} has no environment "${flags.env}" in ${flags.config} (environments: ${config.environments.map((e) => e.name).join(', ')})`);
  }
  const environment: RollbackPlan['environment'] = { ...configured, skip: false };

  const where = `${flags.app}/${flags.env}`;
  const { client, close } = await connect();
  try {
    const ledger = await readLedger(client, lockWorkflowId(flags.app, flags.env));
    const choice = chooseRollbackTarget(ledger, where, flags.to);
    if ('refusal' in choice) throw new CliExit(ExitCode.Refused, `ferry rollback: ${choice.refusal}`);
    const unsure = refuseUnsureLedger(ledger, where, flags.emergency);
    if (unsure) throw new CliExit(ExitCode.Refused, `ferry rollback: ${unsure}; nothing was started`);
    const noBackup = refuseRestoreWithoutBackup(environment, choice.replacedBy);
    if (noBackup) throw new CliExit(ExitCode.Refused, `ferry rollback: ${noBackup}; nothing was started`);
    // A release found in the ledger means the ledger has a live one.
    const live = ledger!.releases[0];
    const { sha, ref, artifact } = choice.release;
    const request = rollbackRequestSchema.parse({ target: { sha, ref, artifact }, replacing: live.sha, requestedBy: flags.as, reason: flags.reason, emergency: flags.emergency });
    const plan: RollbackPlan = {
      ...request,
      app: config.app,
      repo: config.repo,
      ...(config.repoCredentialsEnv === undefined ? {} : { repoCredentialsEnv: config.repoCredentialsEnv }),
      taskQueue: config.taskQueue,
      environment,
      ...(config.recordRef === undefined ? {} : { recordRef: config.recordRef }),
    };
    const workflowId = rollbackWorkflowId(plan.app, environment.name, sha);
    try {
      await client.workflow.start('rollback', { taskQueue: plan.taskQueue, workflowId, args: [plan] });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      throw new CliExit(ExitCode.Refused, `ferry rollback: ${workflowId} is already rolling ${where} back to ${shortSha(sha)}; follow it with: ferry status ${workflowId} --watch`);
    }
    if (!flags.wait) {
      print(flags.output === 'json' ? JSON.stringify({ workflowId }) : render(flags.output, { workflowId }, () => workflowId));
      return ExitCode.Done;
    }
    if (!isForMachines(flags.output))
      print(`${workflowId}: rolling ${where} back from ${shortSha(live.sha)} (${live.artifact}) to ${shortSha(sha)} (${artifact})${flags.emergency ? ', emergency' : ''}`);
    const outcome = await follow(client, workflowId, isForMachines(flags.output) ? () => undefined : print);
    print(render(flags.output, outcome, () => outcomeTable(outcome)));
    return exitCodeOf(outcome);
  } finally {
    await close();
  }
}

/** The environment's ledger as its lock answers it; undefined when the environment has none (no lock yet). */
async function readLedger(client: Client, lockId: string): Promise<EnvironmentLedger | undefined> {
  let raw: unknown;
  try {
    raw = await client.withDeadline(Date.now() + LEDGER_QUERY_DEADLINE_MS, () => client.workflow.getHandle(lockId).query(ledgerQuery));
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw new CliExit(ExitCode.Failed, `ferry rollback: no worker answered ${lockId}'s ledger query (${briefly(error)}); nothing was started`);
  }
  const parsed = environmentLedgerSchema.safeParse(raw);
  if (!parsed.success) throw new CliExit(ExitCode.Failed, `ferry rollback: ${lockId} answered something that is not a ledger (${parsed.error.issues[0]?.message}); nothing was started`);
  return parsed.data;
}
