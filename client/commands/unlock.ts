// `ferry unlock <app> <env>`: an operator takes an environment's lock from a holder that will
// never give it back (a promotion terminated before the lock noticed, a stuck worker). The lock
// shows who holds it and since when; the Update names the holder the operator saw, so a lock
// that moved on meanwhile refuses instead of taking it from the wrong promotion.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { createInterface } from 'node:readline/promises';
import { z } from 'zod';
import { lockStateQuery, unlockPayloadSchema, unlockUpdate, type LockState } from '../../common/messages';
import { lockWorkflowId } from '../../common/plan';
import { CliExit, ExitCode } from '../exit-codes';
import { parseFlags } from '../flags';
import { formatDuration } from '../status-table';
import { briefly } from '../transient';

type Connect = () => Promise<{ client: Client; close(): Promise<void> }>;

const QUERY_DEADLINE_MS = 15_000;

const { by, reason, holder } = unlockPayloadSchema.shape;
export const unlockFlagsSchema = z.object({
  app: z
    .string()
    .max(100)
    .regex(/^[a-z0-9-]+$/, 'must be an app name (lowercase letters, digits, dashes)'),
  env: z.string().min(1, 'must name an environment').max(100, 'must be at most 100 characters'),
  as: by,
  reason,
  holder: holder.optional(),
  yes: z.boolean().default(false),
});
export type UnlockFlags = z.output<typeof unlockFlagsSchema>;
const FLAG_NAMES = { app: '<app>', env: '<env>', as: '--as', reason: '--reason', holder: '--holder', yes: '--yes' };

/** How the operator talks to us: a terminal can be asked; anything else (CI, a pipe) cannot. */
export interface Prompt {
  interactive: boolean;
  ask(question: string): Promise<string>;
}

const terminal: Prompt = {
  interactive: Boolean(process.stdin.isTTY),
  async ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
};

export function describeLock(state: LockState, now = Date.now()): string {
  const since = state.since ? ` since ${state.since} (${formatDuration(now - Date.parse(state.since))})` : '';
  const lines = [state.lockId, state.holder ? `  held by ${state.holder}${since}` : '  held by nobody'];
  lines.push(`  queue: ${state.queue.length > 0 ? state.queue.join(', ') : 'nobody waits'}`);
  for (const p of state.passedOn.slice(-3)) lines.push(`  passed on at ${p.at} from ${p.holder}: ${p.why}`);
  if (state.ignoredCount > 0) lines.push(`  refused messages: ${state.ignoredCount}${state.ignored.length > 0 ? ` (latest: ${state.ignored.at(-1)!.name} — ${state.ignored.at(-1)!.reason})` : ''}`);
  return lines.join('\n');
}

/**
 * Where the lock goes, from the Update's answer. The lock answers before it moves on (then it
 * offers itself to the first in its queue, passing over one that no longer waits), so the holder
 * it names may still be the one taken from.
 */
export function whatNext(after: LockState, from: string): string {
  if (after.holder && after.holder !== from) return `now held by ${after.holder}`;
  const next = after.queue[0];
  return next ? `it goes to the next in its queue, ${next}` : 'nobody waits, so it is free';
}

/**
 * Whose lock to take: the one named by --holder, else the one shown (after --yes or a "yes" at
 * the terminal). Never reads stdin when it is not a terminal: a script must say what it means.
 */
export async function chooseHolder(flags: UnlockFlags, state: LockState, prompt: Prompt): Promise<string | undefined> {
  if (flags.holder) return flags.holder;
  if (!state.holder) return undefined;
  if (flags.yes) return state.holder;
  if (!prompt.interactive) {
    throw new CliExit(ExitCode.BadInput, `--holder or --yes: stdin is not a terminal, so ferry cannot ask; name the holder you mean to take the lock from (--holder ${state.holder}) or pass --yes`);
  }
  const answer = await prompt.ask(`take ${flags.env} of ${flags.app} from ${state.holder}? [y/N] `);
  return /^y(es)?$/i.test(answer.trim()) ? state.holder : undefined;
}

export async function unlock(connect: Connect, app: string, env: string, options: object, print: (line: string) => void, prompt: Prompt = terminal) {
  const flags = parseFlags(unlockFlagsSchema, { ...options, app, env }, FLAG_NAMES);
  const lockId = lockWorkflowId(flags.app, flags.env);
  const { client, close } = await connect();
  try {
    const handle = client.workflow.getHandle(lockId);
    const description = await handle.describe().catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    });
    if (description?.status.name !== 'RUNNING') throw new CliExit(ExitCode.BadInput, `nothing holds ${flags.env} of ${flags.app} (${lockId} is not running)`);
    const state = await client
      .withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(lockStateQuery))
      .catch((error: unknown) => {
        throw new CliExit(ExitCode.Failed, `${lockId}: no worker answered its lockState query (${briefly(error)}); start a worker for its task queue and try again`);
      });
    print(describeLock(state));
    if (!state.holder && !flags.holder) throw new CliExit(ExitCode.BadInput, `nothing holds ${flags.env} of ${flags.app}: ${lockId} has no holder`);
    const from = await chooseHolder(flags, state, prompt);
    if (!from) {
      print('left as it is');
      return ExitCode.Done;
    }
    let after: LockState;
    try {
      after = await handle.executeUpdate(unlockUpdate, { args: [{ by: flags.as, reason: flags.reason, holder: from }] });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw new CliExit(ExitCode.BadInput, `refused: ${error.cause?.message ?? error.message}`);
      throw error;
    }
    print(`took ${flags.env} of ${flags.app} from ${from}; ${whatNext(after, from)}`);
    return ExitCode.Done;
  } finally {
    await close();
  }
}
