// `ferry approve`, `ferry reject` (through the validated Update, so a refusal is heard at once)
// and `ferry abort` (a signal: it must get through even while the workflow is busy).
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { abortPayloadSchema, abortSignal, approvePayloadSchema, decideUpdate, rejectPayloadSchema } from '../../common/messages';
import { CliExit, ExitCode } from '../exit-codes';
import { parseFlags } from '../flags';

type Connect = () => Promise<{ client: Client; close(): Promise<void> }>;

const FLAG_NAMES = { environment: '--env', approver: '--as', by: '--as', reason: '--reason', comment: '--comment' };

const approveFlags = z
  .object({ env: z.string(), as: z.string(), comment: z.string().optional() })
  .transform((f) => ({ environment: f.env, approver: f.as, ...(f.comment === undefined ? {} : { comment: f.comment }) }))
  .pipe(approvePayloadSchema);
const rejectFlags = z
  .object({ env: z.string(), as: z.string(), reason: z.string() })
  .transform((f) => ({ environment: f.env, approver: f.as, reason: f.reason }))
  .pipe(rejectPayloadSchema);
const abortFlags = z
  .object({ as: z.string(), reason: z.string() })
  .transform((f) => ({ by: f.as, reason: f.reason }))
  .pipe(abortPayloadSchema);

async function withRunning<T>(connect: Connect, workflowId: string, work: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connect();
  try {
    const description = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    if (!description) throw new CliExit(ExitCode.BadInput, `${workflowId}: no such promotion`);
    if (description.status.name !== 'RUNNING') throw new CliExit(ExitCode.Refused, `${workflowId} is not running (${description.status.name.toLowerCase()})`);
    return await work(client);
  } finally {
    await close();
  }
}

export async function decide(connect: Connect, workflowId: string, decision: 'approve' | 'reject', options: unknown, print: (line: string) => void) {
  const payload = decision === 'approve' ? { decision, ...parseFlags(approveFlags, options, FLAG_NAMES) } : { decision, ...parseFlags(rejectFlags, options, FLAG_NAMES) };
  return withRunning(connect, workflowId, async (client) => {
    try {
      const approval = await client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [payload] });
      const received = approval?.received.length ?? 0;
      print(
        `${decision === 'approve' ? 'approved' : 'rejected'} ${payload.environment} of ${workflowId} as ${payload.approver}` + (approval ? ` (${received} of ${approval.required} decisions in)` : ''),
      );
      return ExitCode.Done;
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw new CliExit(ExitCode.Refused, `refused: ${error.cause?.message ?? error.message}`);
      throw error;
    }
  });
}

export async function abort(connect: Connect, workflowId: string, options: unknown, print: (line: string) => void) {
  const payload = parseFlags(abortFlags, options, FLAG_NAMES);
  return withRunning(connect, workflowId, async (client) => {
    await client.workflow.getHandle(workflowId).signal(abortSignal, payload);
    print(`abort sent to ${workflowId}: what was changed is being undone`);
    return ExitCode.Done;
  });
}
