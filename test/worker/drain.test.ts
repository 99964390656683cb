// SIGTERM drains a worker: the real `ferry worker` process, a real dev server, a real build
// command. The build that runs when the signal comes finishes on its first attempt, and only
// then does the worker exit; past the grace, a build that will not finish is cancelled.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { temporal } from '@temporalio/proto';
import { promotionWorkflowId } from '../../common/plan';
import { useDevServer } from '../helpers/dev-server';
import { samplePlan } from '../helpers/fixtures';
import { AUTHORS, tempDir, TestRepo } from '../helpers/git-repo';
import { REPO_ROOT } from '../helpers/tools';

const FERRY = path.join(REPO_ROOT, 'bin', 'ferry.js');
const EventType = temporal.api.enums.v1.EventType;

const dev = useDevServer();
let repo: TestRepo;
let sha: string;

beforeAll(() => {
  repo = new TestRepo();
  sha = repo.commit('A release', AUTHORS.ada, { 'README.md': 'shop\n' });
});

interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

function startFerryWorker(taskQueue: string, extraEnv: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, [FERRY, 'worker', '--task-queue', taskQueue], {
    cwd: tempDir('worker-cwd'),
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: dev.server.address,
      FERRY_STATE_DIR: tempDir('worker-state'),
      FERRY_GIT_CACHE: tempDir('worker-git-cache'),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** A promotion whose build writes its PID to `started`, then runs until `release` exists (or forever). */
async function startPromotionWithBuild(taskQueue: string, started: string, release: string) {
  const plan = samplePlan(
    (config) => {
      config.repo = repo.dir;
      config.taskQueue = taskQueue;
      config.build = { ...config.build, command: `echo $$ > '${started}'; while [ ! -f '${release}' ]; do sleep 0.1; done` };
    },
    { sha },
  );
  const workflowId = `${promotionWorkflowId(plan.app, plan.sha)}-${taskQueue}`;
  return dev.client.workflow.start('promotion', { taskQueue, workflowId, args: [plan] });
}

async function untilExists(file: string, worker: WorkerProcess): Promise<void> {
  let gone = false;
  void worker.exited.then(() => (gone = true));
  while (!fs.existsSync(file)) {
    if (gone) throw new Error(`the worker exited before the build started:\n${worker.output()}`);
    await delay(100);
  }
}

/** A running process; a zombie (exited, not yet reaped) is not. */
const isAlive = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

test('SIGTERM mid-build: the build finishes on its first attempt, then the worker exits', async () => {
  const taskQueue = `drain-${Date.now()}`;
  const dir = tempDir('drain');
  const started = path.join(dir, 'started');
  const release = path.join(dir, 'release');
  const worker = startFerryWorker(taskQueue);
  const handle = await startPromotionWithBuild(taskQueue, started, release);
  try {
    await untilExists(started, worker);
    worker.child.kill('SIGTERM');
    // Without a grace the worker cancels the build and is gone within a second; give it two.
    const exitedEarly = await Promise.race([worker.exited.then(() => true), delay(2_000).then(() => false)]);
    fs.writeFileSync(release, '');
    expect({ exitedEarly, output: exitedEarly ? worker.output() : '' }).toEqual({ exitedEarly: false, output: '' });
    expect(await worker.exited).toBe(0);

    const { events } = await handle.fetchHistory();
    const scheduled = events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'build')!;
    const started_ = events!.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId!.toString());
    const completed = events!.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId!.toString());
    expect(started_?.activityTaskStartedEventAttributes?.attempt).toBe(1);
    expect(completed?.eventType).toBe(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    expect(events!.some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)).toBe(false);
  } finally {
    worker.child.kill('SIGKILL');
    await handle.terminate('test over').catch(() => undefined);
  }
});

test('past FERRY_SHUTDOWN_GRACE a build that does not finish is cancelled, its process group killed, and the worker exits', async () => {
  const taskQueue = `drain-grace-${Date.now()}`;
  const dir = tempDir('drain-grace');
  const started = path.join(dir, 'started');
  const worker = startFerryWorker(taskQueue, { FERRY_SHUTDOWN_GRACE: '1s' });
  const handle = await startPromotionWithBuild(taskQueue, started, path.join(dir, 'never'));
  try {
    await untilExists(started, worker);
    const buildPid = Number(fs.readFileSync(started, 'utf8'));
    expect(isAlive(buildPid)).toBe(true);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(isAlive(buildPid)).toBe(false);
  } finally {
    worker.child.kill('SIGKILL');
    await handle.terminate('test over').catch(() => undefined);
  }
});

test('a bad FERRY_SHUTDOWN_GRACE stops `ferry worker` before it connects: exit 2, naming the variable', async () => {
  const worker = startFerryWorker('never-served', { FERRY_SHUTDOWN_GRACE: 'soon', TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(await worker.exited).toBe(2);
  expect(worker.output()).toMatch(/FERRY_SHUTDOWN_GRACE: "soon" is not a duration/);
});
