// Ferry as `npm run build` leaves it, in a folder of its own (so the checkout's bin/ferry.js keeps
// running the sources other tests edit), and the moment a worker starts polling its task queue.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { REPO_ROOT } from './tools';

/** A checkout with a build: bin/, package.json and dist/ of its own; node_modules and scripts/ are the repository's. */
export interface BuiltCheckout {
  root: string;
  dist: string;
  /** bin/ferry.js, which runs dist/ because it is there. */
  ferry: string;
}

/** Runs `npm run build`'s script into `root`/dist (tsc, then the workflow bundle). */
export function buildCheckout(root: string): BuiltCheckout {
  fs.cpSync(path.join(REPO_ROOT, 'bin'), path.join(root, 'bin'), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json'));
  for (const shared of ['node_modules', 'scripts']) {
    if (!fs.existsSync(path.join(root, shared))) fs.symlinkSync(path.join(REPO_ROOT, shared), path.join(root, shared));
  }
  const dist = path.join(root, 'dist');
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.js'), '--out-dir', dist], { stdio: 'pipe' });
  return { root, dist, ferry: path.join(root, 'bin', 'ferry.js') };
}

/**
 * Resolves once the server has seen a poll on `taskQueue`'s workflow tasks, by asking the server
 * (DescribeTaskQueue), so any worker is timed the same way whatever it logs. The server remembers
 * pollers for minutes: use a task queue no earlier worker polled. `gone` says why to stop waiting
 * (the worker exited), undefined while it may still come.
 */
export async function untilPolled(connection: Connection, taskQueue: string, gone: () => string | undefined, namespace = 'default'): Promise<void> {
  for (;;) {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if (pollers && pollers.length > 0) return;
    const why = gone();
    if (why !== undefined) throw new Error(`nothing polled ${taskQueue}: ${why}`);
    await delay(10);
  }
}

/** What a built worker said, and the files it had loaded, once the server saw it poll. */
export interface PolledRun {
  output: string;
  loaded: string[];
}

/**
 * Starts `node bin/ferry.js worker` of the build on `taskQueue`, waits until the server sees it
 * poll, stops it, and lists every module it had loaded by then. `dir` makes the scratch folders.
 */
export async function runBuiltWorkerUntilPolled(built: BuiltCheckout, address: string, connection: Connection, taskQueue: string, dir: (name: string) => string): Promise<PolledRun> {
  const preload = path.join(dir('preload'), 'list-modules.js');
  const loadedList = path.join(dir('loaded'), 'modules.txt');
  fs.writeFileSync(preload, "process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_MODULES, Object.keys(require.cache).join('\\n')));\n");
  const child = spawn(process.execPath, ['--require', preload, built.ferry, 'worker', '--task-queue', taskQueue], {
    cwd: dir('worker-cwd'),
    env: { ...process.env, TEMPORAL_ADDRESS: address, FERRY_STATE_DIR: dir('worker-state'), LOADED_MODULES: loadedList },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await untilPolled(connection, taskQueue, () => (child.exitCode !== null ? `the worker exited with ${child.exitCode}:\n${output}` : undefined));
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return { output, loaded: fs.readFileSync(loadedList, 'utf8').split('\n') };
}
