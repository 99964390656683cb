// What an idle `ferry worker` from the build holds, against a real dev server: the build's workflow
// bundle keeps no copies of library sources in its source map (the worker would hold them twice,
// for good), and FERRY_WORKER_MAX_CACHED_WORKFLOWS bounds the workflows it keeps in memory:
// with a cache of 2, three waiting promotions still answer, each evicted and replayed in turn.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { statusQuery } from '../../common/messages';
import { promotionWorkflowId } from '../../common/plan';
import { buildCheckout, runBuiltWorkerUntilPolled, untilPolled, type BuiltCheckout } from '../helpers/built-worker';
import { useDevServer } from '../helpers/dev-server';
import { samplePlan } from '../helpers/fixtures';
import { AUTHORS, tempDir, TestRepo } from '../helpers/git-repo';
import { freePort } from '../helpers/shop';

const dev = useDevServer();
let built: BuiltCheckout;

beforeAll(() => {
  built = buildCheckout(tempDir('built-checkout'));
}, 300_000);

interface SourceMap {
  sources: string[];
  sourcesContent?: (string | null)[];
}

function inlineSourceMap(bundleFile: string): SourceMap {
  const code = fs.readFileSync(bundleFile, 'utf8');
  const at = code.indexOf('base64,', code.lastIndexOf('//# sourceMappingURL=data:application/json;'));
  expect(at).toBeGreaterThan(0);
  return JSON.parse(Buffer.from(code.slice(at + 'base64,'.length), 'base64').toString('utf8')) as SourceMap;
}

test("the build's bundle maps every file and line, with Ferry's own sources and no library's", () => {
  const map = inlineSourceMap(path.join(built.dist, 'workflow-bundle.js'));
  const withContent = (pattern: RegExp) => map.sources.filter((source, i) => pattern.test(source) && typeof map.sourcesContent?.[i] === 'string');
  const libraries = map.sources.filter((source) => /node_modules\/(zod|@temporalio\/workflow)\//.test(source));

  expect(libraries.length).toBeGreaterThan(10);
  expect(withContent(/node_modules\//)).toEqual([]);
  expect(withContent(/workflows\/promotion\.ts$/)).toHaveLength(1);
  expect(withContent(/common\/plan\.ts$/)).toHaveLength(1);
});

test("an idle worker from the build has loaded neither pg, simple-git nor ferry dev's config reader (yaml): they load when first needed", async () => {
  const { loaded } = await runBuiltWorkerUntilPolled(built, dev.server.address, dev.connection, 'built-worker-idle-modules', tempDir);
  const packageLoaded = (name: string) => loaded.some((file) => file.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`));
  expect(loaded).toContain(path.join(built.dist, 'activities', 'index.js'));
  expect(packageLoaded('pg')).toBe(false);
  expect(packageLoaded('simple-git')).toBe(false);
  expect(packageLoaded('yaml')).toBe(false);
});

/** A promotion whose build runs until `release` exists: it waits in the build, its workflow idle. */
function waitingPromotion(repo: TestRepo, sha: string, taskQueue: string, release: string) {
  const plan = samplePlan(
    (config) => {
      config.repo = repo.dir;
      config.taskQueue = taskQueue;
      config.build = { ...config.build, command: `while [ ! -f '${release}' ]; do sleep 0.1; done` };
    },
    { sha },
  );
  return dev.client.workflow.start('promotion', { taskQueue, workflowId: `${promotionWorkflowId(plan.app, plan.sha)}-${taskQueue}`, args: [plan] });
}

/** The value of a series the worker serves on /metrics (summed over its labels), 0 when it has none. */
async function scraped(metricsAddress: string, name: RegExp): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => name.test(line.split(/[{ ]/)[0]))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

test('FERRY_WORKER_MAX_CACHED_WORKFLOWS=2: three waiting promotions answer in turn, each evicted and replayed, the cache never above 2', async () => {
  const taskQueue = 'built-worker-cache';
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const repo = new TestRepo();
  const shas = ['one', 'two', 'three'].map((name) => repo.commit(`Release ${name}`, AUTHORS.ada, { 'README.md': `${name}\n` }));
  const release = path.join(tempDir('release'), 'go');
  const child: ChildProcess = spawn(process.execPath, [built.ferry, 'worker', '--task-queue', taskQueue], {
    cwd: tempDir('worker-cwd'),
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: dev.server.address,
      FERRY_STATE_DIR: tempDir('worker-state'),
      FERRY_GIT_CACHE: tempDir('worker-git-cache'),
      FERRY_METRICS_ADDRESS: metricsAddress,
      FERRY_WORKER_MAX_CACHED_WORKFLOWS: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handles = [];
  try {
    await untilPolled(dev.connection, taskQueue, () => (child.exitCode !== null ? `the worker exited with ${child.exitCode}:\n${output}` : undefined));
    expect(output).toContain('workflow cache 2');
    for (const sha of shas) handles.push(await waitingPromotion(repo, sha, taskQueue, release));
    // Each waits in its build, so every answer below comes from a workflow the worker keeps or replays.
    for (const handle of handles) {
      for (let tries = 0; ; tries++) {
        const status = await handle.query(statusQuery);
        if (status.steps?.some((step) => step.name === 'build' && step.state === 'running')) break;
        if (tries > 600) throw new Error(`${handle.workflowId} never started its build:\n${output.slice(-3000)}`);
        await delay(100);
      }
    }
    // Round after round, in turn: with room for two, the third always has to be replayed.
    for (let round = 0; round < 3; round++) {
      for (const handle of handles) expect((await handle.query(statusQuery)).sha).toBe(shas[handles.indexOf(handle)]);
    }
    expect(await scraped(metricsAddress, /^temporal_sticky_cache_size$/)).toBeLessThanOrEqual(2);
    expect(await scraped(metricsAddress, /^temporal_sticky_cache_total_forced_eviction(_total)?$/)).toBeGreaterThan(0);
    expect(output).not.toMatch(/maxCachedWorkflows|maxConcurrentWorkflowTaskExecutions/);
  } finally {
    await Promise.all(handles.map((handle) => handle.terminate('test over').catch(() => undefined)));
    child.kill('SIGTERM');
    await exited;
  }
}, 240_000);
