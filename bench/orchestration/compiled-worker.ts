// The worker process every kind runs, compiled to JavaScript before the bench starts: a worker run
// through ts-node holds the TypeScript compiler and each module's compiled text in its heap (about
// 50 MB for Ferry's, which loads more modules than bare's), which `ferry worker`, run from the
// build, never does. Compiled under node_modules/.cache so that it resolves the same packages.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface CompiledWorker {
  /** The file to fork. */
  entry: string;
  /** Deletes the compiled files. */
  remove(): void;
}

/** Compiles the worker process into a folder of this run's own. */
export function compileWorker(): CompiledWorker {
  const cache = path.join(ROOT, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  const outDir = fs.mkdtempSync(path.join(cache, 'ferry-bench-worker-'));
  const remove = () => fs.rmSync(outDir, { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(__dirname, 'tsconfig.worker.json'), '--outDir', outDir], { stdio: 'inherit' });
    const entry = path.join(outDir, path.relative(ROOT, path.join(__dirname, 'worker-process.js')));
    if (!fs.existsSync(entry)) throw new Error(`compiling the bench's worker made no ${entry}`);
    return { entry, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
