// Ferry as `npm run build` leaves it, in a folder of its own (so the checkout's bin/ferry.js keeps
// running the sources other tests edit), and the moment a worker starts polling its task queue.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { REPO_ROOT } from './tools';

/** A checkout with a build: bin/ferry.js, package.json and dist/ of its own; node_modules and scripts/ are the repository's. */
export interface BuiltCheckout {
  root: string;
  dist: string;
  /** bin/ferry.js, which runs dist/ because it is there. */
  ferry: string;
}

/** Runs `npm run build`'s script into `root`/dist (tsc, then the workflow bundle). */
export function buildCheckout(root: string): BuiltCheckout {
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'bin', 'ferry.js'), path.join(root, 'bin', 'ferry.js'));
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
