// `ferry status` and `ferry list`: what runs and what ran. A running promotion answers the status
// query; a closed one is read from its result or failure (no worker needed), and one that was
// terminated or timed out is shown as such, whatever its search attributes last said.
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import { z } from 'zod';
import { SearchAttr } from '../../common/search-attributes';
import { CliExit, ExitCode } from '../exit-codes';
import { parseFlags } from '../flags';
import { follow } from '../follow';
import { liveStatus } from '../live-status';
import { isFinished, isSuccess, outcomeOf, type Outcome } from '../outcome';
import { formatTable, outcomeTable } from '../status-table';
import { briefly } from '../transient';
import { isForMachines, noOutputConflict, OUTPUT_FLAG_NAMES, outputOf, outputShape, render } from '../output';

type Connect = () => Promise<{ client: Client; close(): Promise<void> }>;

const statusFlags = z
  .object({ watch: z.boolean().default(false), ...outputShape })
  .superRefine(noOutputConflict)
  .transform(outputOf);

const QUERY_DEADLINE_MS = 15_000;

export const exitCodeOf = (outcome: Outcome) => (outcome.state === 'refused' ? ExitCode.Refused : isFinished(outcome) && !isSuccess(outcome) ? ExitCode.Failed : ExitCode.Done);

export async function status(connect: Connect, workflowId: string, options: unknown, print: (text: string) => void) {
  const flags = parseFlags(statusFlags, options, OUTPUT_FLAG_NAMES);
  const show = (outcome: Outcome) => print(render(flags.output, outcome, () => outcomeTable(outcome)));
  const { client, close } = await connect();
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    if (description.status.name !== 'RUNNING') {
      const outcome = await outcomeOf(client, workflowId);
      show(outcome);
      return exitCodeOf(outcome);
    }
    const current = await client
      .withDeadline(Date.now() + QUERY_DEADLINE_MS, () => liveStatus(client, workflowId))
      .catch((error: unknown) => {
        if (flags.watch) return undefined; // following waits for a worker
        const attr = description.typedSearchAttributes;
        const where = [attr.get(SearchAttr.state), attr.get(SearchAttr.environment), attr.get(SearchAttr.stage)].filter(Boolean).join(' ');
        throw new CliExit(ExitCode.Failed, `${workflowId} is running, but no worker answered its status query (${briefly(error)}); its search attributes last said: ${where || 'nothing yet'}`);
      });
    if (current && (!flags.watch || isFinished(current))) {
      show(current);
      return exitCodeOf(current);
    }
    if (current && !isForMachines(flags.output)) print(outcomeTable(current));
    const outcome = await follow(client, workflowId, isForMachines(flags.output) ? () => undefined : print);
    show(outcome);
    return exitCodeOf(outcome);
  } finally {
    await close();
  }
}

/** How a promotion can end without writing its state: Temporal's own closings, by their visibility names. */
const CLOSINGS = { terminated: 'Terminated', 'timed-out': 'TimedOut', cancelled: 'Canceled' } as const;
const STATES = ['running', 'waiting', 'succeeded', 'failed', 'rejected', 'aborted', 'refused', 'terminated', 'timed-out', 'cancelled'] as const;

const listFlags = z
  .object({
    app: z
      .string()
      .max(100)
      .regex(/^[a-z0-9-]+$/, 'must be an app name (lowercase letters, digits, dashes)')
      .optional(),
    state: z.enum(STATES).optional(),
    limit: z.coerce.number().int().positive().max(10_000).default(50),
    ...outputShape,
  })
  .superRefine(noOutputConflict)
  .transform(outputOf);

/** The list filter; values are validated above, so quoting them is enough. */
export function listQuery(flags: { app?: string; state?: (typeof STATES)[number] }): string {
  const clauses = [`WorkflowType = 'promotion'`];
  if (flags.app) clauses.push(`${SearchAttr.app.name} = '${flags.app}'`);
  const state = flags.state;
  if (state && state in CLOSINGS) clauses.push(`ExecutionStatus = '${CLOSINGS[state as keyof typeof CLOSINGS]}'`);
  else if (state) {
    clauses.push(`${SearchAttr.state.name} = '${state}'`);
    // FerryState is only as current as the workflow's last word: a terminated promotion still says `waiting`.
    clauses.push(state === 'running' || state === 'waiting' ? `ExecutionStatus = 'Running'` : `ExecutionStatus IN ('Completed', 'Failed')`);
  }
  return clauses.join(' AND ');
}

/** A listed promotion's state: its own (FerryState) while it could still speak, Temporal's once it was ended from outside. */
export function listedState(execution: WorkflowExecutionStatusName, ferryState: string | undefined): string {
  switch (execution) {
    case 'TERMINATED':
      return 'terminated';
    case 'TIMED_OUT':
      return 'timed-out';
    case 'CANCELLED':
      return 'cancelled';
    case 'COMPLETED':
      return 'succeeded'; // a promotion completes only when it succeeded; anything else fails
    case 'FAILED':
      // A final state it wrote itself; anything else means it failed before it could.
      return ferryState && !['running', 'waiting'].includes(ferryState) ? ferryState : 'failed';
    default:
      return ferryState ?? execution.toLowerCase();
  }
}

export async function list(connect: Connect, options: unknown, print: (text: string) => void) {
  const flags = parseFlags(listFlags, options, OUTPUT_FLAG_NAMES);
  const { client, close } = await connect();
  try {
    const rows: Record<'workflowId' | 'app' | 'commit' | 'state' | 'stage' | 'environment' | 'startedAt', string>[] = [];
    for await (const execution of client.workflow.list({ query: listQuery(flags) })) {
      const attr = execution.typedSearchAttributes;
      rows.push({
        workflowId: execution.workflowId,
        app: attr.get(SearchAttr.app) ?? '',
        commit: (attr.get(SearchAttr.commit) ?? '').slice(0, 7),
        state: listedState(execution.status.name, attr.get(SearchAttr.state)),
        stage: attr.get(SearchAttr.stage) ?? '',
        environment: attr.get(SearchAttr.environment) ?? '',
        startedAt: execution.startTime.toISOString(),
      });
      if (rows.length >= flags.limit) break;
    }
    print(
      render(flags.output, rows, () =>
        formatTable([['ID', 'APP', 'COMMIT', 'STATE', 'ENVIRONMENT', 'STAGE', 'STARTED'], ...rows.map((r) => [r.workflowId, r.app, r.commit, r.state, r.environment, r.stage, r.startedAt])]),
      ),
    );
    return ExitCode.Done;
  } finally {
    await close();
  }
}
