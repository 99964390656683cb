// A worker killed with SIGKILL cannot stop the build or test it started, and Temporal retries the
// activity, perhaps in another worker process on this machine: two builds at once in one place.
// So each running command's process group is recorded in a file before the command starts, the
// next attempt of the same activity stops whatever an earlier one left, and a worker that exits
// (rather than being killed) takes its commands with it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { hasLiveMember, processStartTime, signalGroup, terminateGroup } from './process-group';

/** The activity a command runs for: attempts of one activity share the first two. */
export interface CommandOwner {
  workflowId: string;
  activityId: string;
  attempt: number;
}

const recordSchema = z.object({
  workflowId: z.string().max(1_000),
  activityId: z.string().max(1_000),
  attempt: z.number().int(),
  pgid: z.number().int().positive(),
  /** The group leader's start time, so a pid reused by another process is never taken for it. */
  startTime: z.string().max(40).nullable(),
  workerPid: z.number().int(),
});
type CommandRecord = z.infer<typeof recordSchema>;

/** Machine-wide (one per temp dir), like the worktrees: a retry may run in another worker process here. */
export function commandRecordsDir(): string {
  return path.join(os.tmpdir(), 'ferry-commands');
}

function keyOf({ workflowId, activityId }: CommandOwner): string {
  return createHash('sha256').update(`${workflowId}\n${activityId}`).digest('hex').slice(0, 32);
}

/** Groups this process started and has not yet seen end, with their record files. */
const running = new Map<number, string>();

/**
 * An exit handler can only do synchronous work, so it kills at once; it runs on a normal exit,
 * including after the SDK's shutdown, never on SIGKILL (that is what the records are for).
 */
function killRunningOnExit(): void {
  for (const [pgid, file] of running) {
    try {
      signalGroup(pgid, 'SIGKILL');
      fs.rmSync(file, { force: true });
    } catch {
      // Exiting anyway; the next attempt still finds the record.
    }
  }
}
let exitHandlerInstalled = false;

/** Records `pgid` as `owner`'s; synchronous, so it is on disk before the command is let go. */
export function recordGroup(owner: CommandOwner, pgid: number): void {
  const dir = commandRecordsDir();
  const file = path.join(dir, `${keyOf(owner)}.${pgid}.json`);
  const record: CommandRecord = { ...owner, pgid, startTime: processStartTime(pgid) ?? null, workerPid: process.pid };
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(record), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  } catch (error) {
    throw new Error(`cannot record the command's process group in ${dir}: ${(error as Error).message}`);
  }
  running.set(pgid, file);
  if (!exitHandlerInstalled) {
    process.on('exit', killRunningOnExit);
    exitHandlerInstalled = true;
  }
}

function hasLiveMemberOrUnknown(pgid: number): boolean {
  try {
    return hasLiveMember(pgid);
  } catch {
    return false; // EPERM: another user's group, so not one of ours
  }
}

/**
 * Whether the recorded group still runs. A process group's number is not reused while the group
 * has members, so once the leader has ended its survivors are still the recorded group; a leader
 * that started at another time is another process under a reused pid.
 */
function stillRuns(record: CommandRecord): boolean {
  if (!hasLiveMemberOrUnknown(record.pgid)) return false;
  const leaderStart = processStartTime(record.pgid);
  return leaderStart === undefined || record.startTime === null || leaderStart === record.startTime;
}

/** Drops the record of `pgid` once the group is gone; one that survived stays for the next attempt to find. */
export function forgetGroup(pgid: number): void {
  const file = running.get(pgid);
  if (file === undefined || hasLiveMemberOrUnknown(pgid)) return;
  running.delete(pgid);
  fs.rmSync(file, { force: true });
}

function readRecord(file: string): CommandRecord | undefined {
  try {
    const parsed = recordSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stops every command an earlier attempt of `owner`'s activity left running (SIGTERM, then
 * SIGKILL), and drops the records of groups that are gone, whoever's they were: an activity that
 * is never retried (its promotion was terminated) leaves its record to whoever comes next.
 * `warn` hears what was stopped or could not be.
 */
export async function stopEarlierAttempts(owner: CommandOwner, warn: (message: string) => void): Promise<void> {
  const dir = commandRecordsDir();
  const mine = `${keyOf(owner)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return; // no folder, no records
  }
  for (const name of names) {
    const file = path.join(dir, name);
    const record = readRecord(file);
    const earlierAttempt = name.startsWith(mine) && record?.workflowId === owner.workflowId && record.activityId === owner.activityId;
    if (record && stillRuns(record)) {
      if (!earlierAttempt) continue;
      warn(`stopping process group ${record.pgid}, left running by attempt ${record.attempt} (worker pid ${record.workerPid})`);
      await terminateGroup(record.pgid);
      if (stillRuns(record)) {
        warn(`process group ${record.pgid} of attempt ${record.attempt} survived SIGKILL; running beside it`);
        continue;
      }
    }
    fs.rmSync(file, { force: true });
  }
}
