// `ferry history` (the timeline of a promotion and its stages) and `ferry replay` (its history
// against the current workflow code, before that code reaches the workers).
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { z } from 'zod';
import { promotionWorkflowId, stageWorkflowId } from '../../common/plan';
import { legacyRollbackWorkflowId, rollbackWorkflowId } from '../../common/rollback-plan';
import { CliExit, ExitCode } from '../exit-codes';
import { parseFlags } from '../flags';
import { mermaidOf } from '../history/mermaid';
import { historyFromFile, replayHistory } from '../history/replay';
import { timelineOf, type TimelineEntry } from '../history/timeline';
import { noOutputConflict, OUTPUT_FLAG_NAMES, OUTPUT_FORMATS, outputOf, render } from '../output';

type Connect = () => Promise<{ client: Client; close(): Promise<void> }>;

const historyFlags = z
  .object({ mermaid: z.boolean().default(false), output: z.enum([...OUTPUT_FORMATS, 'mermaid']).optional(), json: z.boolean().default(false) })
  .superRefine(noOutputConflict)
  .transform(outputOf)
  .transform(({ mermaid, output }) => ({ output: mermaid ? 'mermaid' : output, conflict: mermaid && output !== 'table' && output !== 'mermaid' }))
  .refine((f) => !f.conflict, { message: 'choose one of --mermaid (-o mermaid) and -o/--output or --json', path: ['output'] });

/** The promotion's timeline followed by each stage child's, so the chart shows every step. */
async function timelineWithStages(client: Client, workflowId: string): Promise<TimelineEntry[]> {
  const timeline = timelineOf(await client.workflow.getHandle(workflowId).fetchHistory());
  const children = timeline.filter((e): e is Extract<TimelineEntry, { kind: 'child' }> => e.kind === 'child');
  const stages = await Promise.all(
    children.map((c) =>
      client.workflow
        .getHandle(c.workflowId)
        .fetchHistory()
        .then(timelineOf, () => []),
    ),
  );
  return [...timeline, ...stages.flat()];
}

function line(entry: TimelineEntry): string {
  const { kind, at, ...rest } = entry as TimelineEntry & Record<string, unknown>;
  const what = ['name', 'summary', 'workflowId', 'state', 'by', 'reason', 'failure'].map((key) => rest[key]).filter((v): v is string => typeof v === 'string' && v.length > 0);
  return `${at}  ${kind.padEnd(8)}  ${[...new Set(what)].join('  ')}`;
}

export async function history(connect: Connect, workflowId: string, options: unknown, print: (text: string) => void) {
  const flags = parseFlags(historyFlags, options, OUTPUT_FLAG_NAMES);
  const { client, close } = await connect();
  try {
    const timeline = await timelineWithStages(client, workflowId).catch((error: Error) => {
      throw new CliExit(ExitCode.BadInput, `${workflowId}: ${error.message}`);
    });
    if (flags.output === 'mermaid') print(['```mermaid', mermaidOf(workflowId, timeline), '```'].join('\n'));
    else print(render(flags.output, timeline, () => timeline.map(line).join('\n')));
    return ExitCode.Done;
  } finally {
    await close();
  }
}

const replayFlags = z.object({ file: z.string().min(1).max(4096).optional(), workflows: z.string().min(1).max(4096).optional(), workflowId: z.string().min(1).max(300).optional() });

/**
 * A downloaded history does not say which workflow ID it ran under, yet Ferry's workflows derive
 * child IDs from it: Ferry's own IDs follow from the workflow's input.
 */
function workflowIdFromInput(history: temporal.api.history.v1.IHistory): string | undefined {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) return undefined;
  const input = defaultPayloadConverter.fromPayload<Record<string, any>>(payload);
  switch (started?.workflowType?.name) {
    case 'promotion':
      return promotionWorkflowId(input.app, input.sha);
    case 'stage':
      return stageWorkflowId(input.promotionId, input.environment?.name);
    case 'rollback':
      // Rollbacks started before `replacing` was asked for ran under the older ID.
      return (input.replacing === undefined ? legacyRollbackWorkflowId : rollbackWorkflowId)(input.app, input.environment?.name, input.target?.sha ?? '');
    default:
      return undefined;
  }
}

/** The workflow code to replay against, checked before anything else so a typo is named at once. */
function workflowsModule(flag: string | undefined): string | undefined {
  if (flag === undefined) return undefined;
  try {
    return require.resolve(flag, { paths: [process.cwd()] });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliExit(ExitCode.BadInput, `--workflows: ${flag} is not a module ferry can load${code ? ` (${code})` : ''}; give the folder of the workflow code (with its index) or the file itself`);
  }
}

export async function replay(connect: Connect, workflowId: string | undefined, options: unknown, print: (text: string) => void) {
  const flags = parseFlags(replayFlags, options);
  if (!workflowId === !flags.file) throw new CliExit(ExitCode.BadInput, 'replay needs a workflow ID or --file <history.json>, not both');
  const workflowsPath = workflowsModule(flags.workflows);
  // Replaying runs the workflow code in this process; the Runtime's own log would bury the verdict.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  let loaded: { history: temporal.api.history.v1.IHistory; id: string };
  if (flags.file) {
    let history;
    try {
      history = historyFromFile(flags.file);
    } catch (error) {
      throw new CliExit(ExitCode.BadInput, `--file: ${(error as Error).message}`);
    }
    const id = flags.workflowId ?? workflowIdFromInput(history);
    if (!id) throw new CliExit(ExitCode.BadInput, `--workflow-id: ${flags.file} is not a Ferry promotion or stage; say which workflow ID it ran under`);
    loaded = { history, id };
  } else {
    const { client, close } = await connect();
    try {
      const handle = client.workflow.getHandle(workflowId!);
      // fetchHistory reports an unknown ID as a bare gRPC NOT_FOUND; describe() names it.
      await handle.describe();
      loaded = { history: await handle.fetchHistory(), id: workflowId! };
    } finally {
      await close();
    }
  }
  const result = await replayHistory(loaded.history, { workflowId: loaded.id, workflowsPath });
  if (result.ok) {
    print(`${loaded.id}: replays cleanly against ${flags.workflows ?? 'the current workflow code'}`);
    return ExitCode.Done;
  }
  throw new CliExit(result.nondeterministic ? ExitCode.Nondeterministic : ExitCode.Failed, `${loaded.id}: ${result.nondeterministic ? 'nondeterministic' : 'replay failed'}: ${result.reason}`);
}
