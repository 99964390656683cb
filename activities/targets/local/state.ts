// What runs in a local environment, kept on disk beside it: a restarted worker reads it back
// and carries on from where the last one was.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** What the version's processes get: variables, and secrets by worker variable name (never their values). */
const appEnvironmentSchema = z.object({ variables: z.record(z.string(), z.string()), secrets: z.record(z.string(), z.string()) });
/** Bounds of the config (20 processes, 10,000 characters a command), and of a path. */
const MAX_PROCESSES = 20;
const logFile = z.string().min(1).max(4096);
const pid = z.number().int().positive();

/** A process of a version beside its web process, as the version was first started with it. */
const processSchema = z.object({ name: z.string().min(1).max(63), start: z.string().min(1).max(10_000) });
const runningProcessSchema = processSchema.extend({ pid, log: logFile });

/**
 * A version as it was first given: its settings, its web process's command and its other
 * processes. Files written before these were kept have neither: such a version is its web
 * process alone, run with the config's start command.
 */
const releaseSchema = z.object({
  version: z.string(),
  sha: z.string(),
  app: appEnvironmentSchema.optional(),
  start: z.string().min(1).max(10_000).optional(),
  processes: z.array(processSchema).max(MAX_PROCESSES).optional(),
});
/** A started version: its web process (pid, port, log; older files name no log) and the pids of the others. */
const runningSchema = releaseSchema.extend({
  port: z.number().int(),
  pid,
  log: logFile.optional(),
  processes: z.array(runningProcessSchema).max(MAX_PROCESSES).optional(),
});

const stateSchema = z.object({
  stable: runningSchema.optional(),
  canary: runningSchema.extend({ weight: z.number() }).optional(),
  /** What `rollback` puts back: still running after a blue-green switch, else started again from its release. */
  previous: releaseSchema
    .extend({
      port: z.number().int().optional(),
      pid: pid.optional(),
      log: logFile.optional(),
      processes: z.array(processSchema.extend({ pid: pid.optional(), log: logFile.optional() })).max(MAX_PROCESSES).optional(),
    })
    .optional(),
  /** Versions on their way out, every process of each: recorded before they are stopped, cleared after. */
  stopping: z.array(runningSchema).optional(),
});

export type Release = z.infer<typeof releaseSchema>;
export type RunningVersion = z.infer<typeof runningSchema>;
export type VersionProcess = z.infer<typeof processSchema>;
export type LocalState = z.infer<typeof stateSchema>;

export class StateFile {
  constructor(readonly file: string) {}

  async read(): Promise<LocalState> {
    try {
      return stateSchema.parse(JSON.parse(await fs.readFile(this.file, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`${this.file} is damaged (${(error as Error).message}); look at what runs before deleting it`);
    }
  }

  /** Written aside and renamed, so a crash leaves the old state or the new one, never half. */
  async write(state: LocalState): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const aside = `${this.file}.${process.pid}.tmp`;
    await fs.writeFile(aside, JSON.stringify(state, null, 2));
    await fs.rename(aside, this.file);
  }
}
