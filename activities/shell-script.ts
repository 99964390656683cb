// A shell command run as one process group, so that cancelling or timing out kills everything it
// started, not just the shell; its output streamed to the activity log, masked, and its tail kept
// for the error. Shared by build and test (commands.ts) and verify (verify.ts).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { Readable, Writable } from 'node:stream';
import type { Context, Info } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { formatDuration } from '../common/duration';
import { FailureType } from '../common/errors';
import { forgetGroup, recordGroup, type CommandOwner } from './command-records';
import { terminateGroup } from './process-group';
import type { Masker } from './secret-masking';

/** Enough to see why a command failed, small enough for an error message in workflow history. */
const TAIL_LINES = 40;
const MAX_LINE_CHARS = 2_000;
/** Well inside the commands' one-minute heartbeat timeout; heartbeats also carry cancellation to us. */
const HEARTBEAT_EVERY_MS = 5_000;
const OUTPUT_DRAIN_MS = 5_000;

export const variableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
  .max(200);
export const variableNames = z.array(variableName).max(100, 'must name at most 100 variables');
// Generous bounds: they only keep a broken or hostile input from growing without end.
export const script = z.string().trim().min(1, 'must not be empty').max(100_000);

export type Ending = { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null } | { kind: 'cancelled'; reason: unknown } | { kind: 'timed-out' };

export interface Script {
  label: string;
  script: string;
  cwd: string;
  env: Record<string, string>;
  deadline: number;
  mask: Masker;
}

export class LastLines {
  private readonly lines: string[] = [];

  constructor(private readonly limit: number) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.shift();
  }

  toString(): string {
    return this.lines.length > 0 ? this.lines.join('\n') : '(no output)';
  }
}

/** A line of output as an error quotes it: one line of minified JSON must not fill history. */
export const clipLine = (line: string): string => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line);

/**
 * How much of one line is held before it is cut: the part an error keeps, and beyond it room for a
 * secret that starts inside that part to be seen whole by the masker. Whatever a command prints,
 * the reader holds no more than this, so a line of gigabytes cannot exhaust the worker's memory.
 */
const MAX_HELD_LINE_CHARS = MAX_LINE_CHARS + 64 * 1024;
const CUT_NOTE = ` (the line went on past ${MAX_HELD_LINE_CHARS.toLocaleString('en-US')} characters: the rest of this line is not kept)`;

/**
 * Splits output into lines as it arrives (at \n, \r\n or a lone \r), each masked before it is cut,
 * so a secret that straddles the cut is still recognised whole. A line longer than the reader
 * holds is passed on cut, with a note, as soon as it is that long; the rest of it, up to its
 * newline, is dropped.
 */
function streamLines(stream: Readable, mask: Masker, onLine: (line: string) => void): void {
  let held = '';
  let dropping = false;
  let afterReturn = false; // a \r ended the last line: a \n right after it ends nothing more
  const lineEnds = (line: string, cut = line.length >= MAX_HELD_LINE_CHARS) => {
    if (!dropping) onLine(cut ? `${clipLine(mask(line.slice(0, MAX_HELD_LINE_CHARS)))}${CUT_NOTE}` : clipLine(mask(line)));
    dropping = false;
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    let from = 0;
    if (afterReturn && chunk.startsWith('\n')) from = 1;
    afterReturn = false;
    // Each found once per chunk, not once per line: a chunk of many short lines stays linear.
    let newline = -2;
    let carriage = -2;
    while (from < chunk.length) {
      if (newline !== -1 && newline < from) newline = chunk.indexOf('\n', from);
      if (carriage !== -1 && carriage < from) carriage = chunk.indexOf('\r', from);
      const end = carriage !== -1 && (newline === -1 || carriage < newline) ? carriage : newline;
      if (end === -1) {
        if (!dropping) held += chunk.slice(from, from + MAX_HELD_LINE_CHARS - held.length);
        if (held.length >= MAX_HELD_LINE_CHARS) {
          lineEnds(held, true);
          held = '';
          dropping = true;
        }
        return;
      }
      lineEnds(dropping ? '' : held + chunk.slice(from, Math.min(end, from + MAX_HELD_LINE_CHARS)));
      held = '';
      from = end + 1;
      if (chunk[end] === '\r') {
        if (chunk[from] === '\n') from++;
        else if (from === chunk.length) afterReturn = true;
      }
    }
  });
  stream.on('end', () => {
    if (held !== '') lineEnds(held);
    held = '';
  });
}

/**
 * The shell waits for a line on fd 3 before it runs the script, so the record of its group is on
 * disk before anything starts; if the worker dies first, the pipe closes and nothing runs.
 */
const GATED = 'read -r go <&3 || exit 125; exec 3<&-; exec /bin/sh -c "$1"';

export function ownerOf(info: Info): CommandOwner {
  // A standalone activity (no workflow) is told apart by its activity ID alone.
  return { workflowId: info.workflowExecution?.workflowId ?? '', activityId: info.activityId, attempt: info.attempt };
}

/**
 * Runs `script` with /bin/sh in its own process group, streaming its output to the activity log.
 * Whatever the ending, the group is gone when this returns: a background process left behind
 * would otherwise keep running in a worktree that is about to be deleted.
 */
export async function runScript(context: Context, { label, script, cwd, env, deadline, mask }: Script) {
  const tail = new LastLines(TAIL_LINES);
  const cancellation = context.cancellationSignal;
  if (cancellation.aborted) return { ending: { kind: 'cancelled', reason: cancellation.reason } as Ending, tail };

  const child = spawn('/bin/sh', ['-c', GATED, 'ferry-command', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  // Typed as the stdio option above makes them: no stdin, pipes for output and the gate.
  const { stdout, stderr } = child as ChildProcessByStdio<null, Readable, Readable>;
  const gate = child.stdio[3] as Writable;
  gate.on('error', () => undefined); // the shell is gone already; its ending says why
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  for (const stream of [stdout, stderr]) {
    streamLines(stream, mask, (line) => {
      tail.push(line);
      context.log.info(`${label}: ${line}`);
    });
  }
  const pgid = child.pid;

  const stopWatching: Array<() => void> = [];
  try {
    if (pgid !== undefined) {
      recordGroup(ownerOf(context.info), pgid);
      context.log.info(`${label}: running in process group ${pgid}`, { pgid });
    }
    gate.end('go\n');
    context.heartbeat({ step: label });
    const ending = await new Promise<Ending>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ kind: 'exited', code, signal }));
      const onCancel = () => resolve({ kind: 'cancelled', reason: cancellation.reason });
      cancellation.addEventListener('abort', onCancel, { once: true });
      const timer = setTimeout(() => resolve({ kind: 'timed-out' }), Math.max(0, deadline - Date.now()));
      const heartbeat = setInterval(() => context.heartbeat({ step: label }), HEARTBEAT_EVERY_MS);
      stopWatching.push(
        () => cancellation.removeEventListener('abort', onCancel),
        () => clearTimeout(timer),
        () => clearInterval(heartbeat),
      );
    });
    return { ending, tail };
  } finally {
    stopWatching.forEach((stop) => stop());
    gate.destroy();
    if (pgid !== undefined) {
      await terminateGroup(pgid);
      forgetGroup(pgid);
    }
    // Output still in the pipes belongs in the tail; a process that escaped the group must not hold us.
    await Promise.race([closed, delay(OUTPUT_DRAIN_MS, undefined, { ref: false })]);
    stdout.destroy();
    stderr.destroy();
  }
}

/**
 * Throws for every ending but a clean exit; cancellation is rethrown as the SDK's own failure.
 * The tail was masked line by line as it was read, before it reaches this error and history.
 */
export function throwUnlessSucceeded(
  label: string,
  ending: Ending,
  tail: LastLines,
  timeoutMs: number,
  { type = FailureType.CommandFailed, context = '' }: { type?: FailureType; context?: string } = {},
): void {
  const failed = (what: string) => ApplicationFailure.nonRetryable(`${label} ${what}${context}: last lines:\n${tail}`, type);
  switch (ending.kind) {
    case 'cancelled':
      throw ending.reason;
    case 'timed-out':
      throw failed(`timed out after ${formatDuration(timeoutMs)}`);
    case 'exited':
      if (ending.code === 0) return;
      throw failed(ending.code !== null ? `failed with exit code ${ending.code}` : `was killed by ${ending.signal}`);
  }
}
