// What runs in a local environment, kept on disk beside it: a restarted worker reads it back
// and carries on from where the last one was.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** What the version's processes get: variables, and secrets by worker variable name (never their values). */
const appEnvironmentSchema = z.object({ variables: z.record(z.string(), z.string()), secrets: z.record(z.string(), z.string()) });
const releaseSchema = z.object({ version: z.string(), sha: z.string(), app: appEnvironmentSchema.optional() });
const runningSchema = releaseSchema.extend({ port: z.number().int(), pid: z.number().int() });

const stateSchema = z.object({
  stable: runningSchema.optional(),
  canary: runningSchema.extend({ weight: z.number() }).optional(),
  /** What `rollback` puts back: still running after a blue-green switch, else started again from its release. */
  previous: releaseSchema.extend({ port: z.number().int().optional(), pid: z.number().int().optional() }).optional(),
  /** Processes on their way out: recorded before they are stopped, cleared after. */
  stopping: z.array(runningSchema).optional(),
});

export type Release = z.infer<typeof releaseSchema>;
export type RunningVersion = z.infer<typeof runningSchema>;
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
