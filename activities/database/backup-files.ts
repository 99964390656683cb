// The backup folder's housekeeping: half-written dumps that nobody will finish, and old backups.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const HOST =
  os
    .hostname()
    .replace(/[^A-Za-z0-9-]/g, '_')
    .slice(0, 64) || 'host';
/** `<final>.<random>.<pid>@<host>.partial`; older Ferry wrote `<final>.<pid>-<hex>.partial`. */
const PARTIAL = /\.(\d+)@([A-Za-z0-9_-]+)\.partial$/;

/** Where pg_dump writes before the rename: names the writer, so a later attempt can tell whether it is gone. */
export function partialFileFor(file: string): string {
  return `${file}.${randomBytes(4).toString('hex')}.${process.pid}@${HOST}.partial`;
}

/**
 * Removes the `.partial` files in `folders` that no running pg_dump will finish: those last
 * written before `startedAt` (the attempt now starting; within one (app, environment) only one
 * stage runs at a time, so an older one belongs to an attempt that has ended), and those whose
 * writer was a process on this host that is gone. Returns the files removed.
 */
export async function removeStalePartials(folders: string[], startedAt: number): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of folders) {
    for (const name of await fs.readdir(folder).catch(() => [] as string[])) {
      if (!name.endsWith('.partial')) continue;
      const file = path.join(folder, name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (!stat?.isFile()) continue;
      const writer = PARTIAL.exec(name);
      const writerGone = writer !== null && writer[2] === HOST && !isAlive(Number(writer[1]));
      if (stat.mtimeMs < startedAt || writerGone) {
        await fs.rm(file, { force: true });
        removed.push(file);
      }
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Keeps `current` and the newest `keep - 1` other finished backups in `folder` (one app's
 * environment), removing the rest. `spared` (a rollback's backup to restore) is kept besides,
 * uncounted. Returns the files removed.
 */
export async function pruneBackups(folder: string, current: string, keep: number, spared?: string): Promise<string[]> {
  const others: Array<{ file: string; mtimeMs: number }> = [];
  const spare = spared === undefined ? undefined : path.resolve(spared);
  for (const name of await fs.readdir(folder)) {
    const file = path.join(folder, name);
    if (!name.endsWith('.dump') || file === current || file === spare) continue;
    const stat = await fs.stat(file).catch(() => undefined);
    if (stat?.isFile()) others.push({ file, mtimeMs: stat.mtimeMs });
  }
  others.sort((a, b) => b.mtimeMs - a.mtimeMs || b.file.localeCompare(a.file));
  const removed = others.slice(Math.max(0, keep - 1)).map((o) => o.file);
  for (const file of removed) await fs.rm(file, { force: true });
  return removed;
}
