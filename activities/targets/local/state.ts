// What runs in a local environment, kept on disk beside it: a restarted worker reads it back
// and carries on from where the last one was.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

// Bounds: the config's own (names, 20 processes, 10,000 characters a command, 100 variables of
// 4,096 characters, 50 secrets), generous elsewhere; they keep a damaged or hostile file from
// growing what Ferry reads, and a path built from it inside the environment's folder.
const text = (max: number) => z.string().max(max);
const boundedRecord = (value: z.ZodString, max: number) => z.record(text(128), value).refine((r) => Object.keys(r).length <= max, `must have at most ${max} entries`);

/** What the version's processes get: variables, and secrets by worker variable name (never their values). */
const appEnvironmentSchema = z.object({ variables: boundedRecord(text(4_096), 100), secrets: boundedRecord(text(128), 100) });
const MAX_PROCESSES = 20;
const command = z.string().min(1).max(10_000);
const pid = z.number().int().positive();
const port = z.number().int().min(1).max(65_535);
/** A full commit: its first 12 characters name the version's log files. */
const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full commit SHA');
/** The config's rule for a process name: it names a log file, so it holds no `/` and no `..`. */
const processName = text(40).regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'must be lowercase letters, digits and dashes (at most 40)');

// Log files are not recorded: their paths follow from the commit and the process name, so a
// state file cannot point the snapshot at a file outside the environment's logs. Files that
// recorded them still read (zod drops keys it does not know).
/** A process of a version beside its web process, as the version was first started with it. */
const processSchema = z.object({ name: processName, start: command });
const runningProcessSchema = processSchema.extend({ pid });

const hex = (length: number) => z.string().regex(new RegExp(`^[0-9a-f]{${length}}$`), `must be ${length} hexadecimal digits`);
/** Keyed hashes of the secrets a version was last started with (never their values): see secret-fingerprints.ts. */
const secretFingerprintsSchema = z.object({ salt: hex(32), values: boundedRecord(hex(64), 100) });

/**
 * A version as it was first given: its settings, its web process's command and its other
 * processes (an empty list when it has none). Files written before these were kept have neither:
 * such a version is its web process alone, run with the config's start command.
 */
const releaseSchema = z.object({
  version: text(200),
  sha,
  app: appEnvironmentSchema.optional(),
  start: command.optional(),
  processes: z.array(processSchema).max(MAX_PROCESSES).optional(),
  /** Absent in files written before they were kept. */
  secretFingerprints: secretFingerprintsSchema.optional(),
});
/** A started version: its web process (pid and port) and the pids of the others. */
const runningSchema = releaseSchema.extend({
  port,
  pid,
  processes: z.array(runningProcessSchema).max(MAX_PROCESSES).optional(),
});

const stateSchema = z.object({
  stable: runningSchema.optional(),
  canary: runningSchema.extend({ weight: z.number().min(0).max(100) }).optional(),
  /** What `rollback` puts back: still running after a blue-green switch, else started again from its release. */
  previous: releaseSchema
    .extend({
      port: port.optional(),
      pid: pid.optional(),
      processes: z
        .array(processSchema.extend({ pid: pid.optional() }))
        .max(MAX_PROCESSES)
        .optional(),
    })
    .optional(),
  /** Versions on their way out, every process of each: recorded before they are stopped, cleared after. */
  stopping: z.array(runningSchema).max(100).optional(),
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
