// The local target against real processes: the shop app from examples/, started from real
// release folders of a real git repository, behind the real proxy, with real HTTP traffic.
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { StrategyConfig } from '../../common/config-schema';
import { parseConfig } from '../../common/parse-config';
import { analyzeVersion } from '../../activities/health/analysis';
import fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { appEnvironmentOf } from '../../common/app-environment';
import { baseEnvironment, isRunning } from '../../activities/targets/local/app-process';
import { localTarget, stopLocalEnvironment, type LocalTargetConfig } from '../../activities/targets/local/local-target';
import { StateFile } from '../../activities/targets/local/state';
import { AUTHORS, removeTempDirs, tempDir, TestRepo } from '../helpers/git-repo';
import { freePort, shopRepo, startTraffic } from '../helpers/shop';

const { repo, shas } = shopRepo();
const stateDir = tempDir('environments');
const started: Array<{ config: LocalTargetConfig; environment: string }> = [];
const version = (sha: string) => `shop:${sha.slice(0, 7)}`;

/** An environment of its own per test, on a free port, with the analysis thresholds of the shop's staging. */
async function environment(name: string, strategy: StrategyConfig['kind'] = 'canary') {
  const port = await freePort();
  const config: LocalTargetConfig = { kind: 'local', start: 'node server.js', port, healthPath: '/healthz', startTimeout: 20_000 };
  started.push({ config, environment: name });
  const analysis = parseConfig(
    `app: shop\nrepo: r\nbuild: { command: b }\nenvironments:\n  - name: x\n    target: { kind: local, start: s, port: 2000 }\n    analysis: { maxErrorRate: 0.05, minRequests: 20, maxWait: 30s, http: [{ path: /healthz }] }\n`,
  ).environments[0].analysis;
  const target = (sha: string) => localTarget(config, { app: 'shop', environment: name, strategy, source: { repo: repo.dir, sha }, stateDir });
  return { port, url: `http://127.0.0.1:${port}/`, target, analysis, state: new StateFile(`${stateDir}/shop/${name}/state.json`) };
}

async function servedBy(url: string): Promise<string | null> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.headers.get('x-ferry-version');
}

afterAll(async () => {
  await Promise.all(started.map(({ config, environment }) => stopLocalEnvironment(config, { stateDir, app: 'shop', environment })));
  removeTempDirs();
});

test('a rolling deploy moves all traffic to the new version, stops the old one and can roll back to it', async () => {
  const env = await environment('rolling', 'rolling');
  await env.target(shas.spring).deploy(version(shas.spring));
  expect(await servedBy(env.url)).toBe(version(shas.spring));
  const spring = (await env.state.read()).stable!;

  const traffic = startTraffic(env.url);
  await env.target(shas.summer).deploy(version(shas.summer));
  await delay(200);
  const report = await traffic.stop();

  expect(await servedBy(env.url)).toBe(version(shas.summer));
  expect(await env.target(shas.summer).versions()).toEqual({ stable: version(shas.summer), previous: version(shas.spring) });
  expect(isRunning(spring.pid)).toBe(false);
  // The switch drops nothing: every request was answered, by one version or the other.
  expect(report.unanswered).toBe(0);
  expect(Object.values(report.byVersion).every((c) => c.failed === 0)).toBe(true);

  await env.target(shas.summer).rollback(version(shas.summer));
  expect(await servedBy(env.url)).toBe(version(shas.spring));
  expect((await env.target(shas.summer).versions()).stable).toBe(version(shas.spring));
  await env.target(shas.summer).rollback(version(shas.summer)); // again: nothing left to undo
  expect(await servedBy(env.url)).toBe(version(shas.spring));
});

test('a canary goes 10 → 50 → 100 under real traffic, each share matching its weight, nothing failing', async () => {
  const env = await environment('canary');
  await env.target(shas.spring).deploy(version(shas.spring));
  const canary = env.target(shas.summer);
  const reports = [];
  for (const weight of [10, 50]) {
    const traffic = startTraffic(env.url);
    await canary.setCanaryWeight(version(shas.summer), weight);
    const verdict = await analyzeVersion({ target: canary, version: version(shas.summer), environment: 'canary', analysis: env.analysis });
    reports.push(await traffic.stop());
    expect(verdict).toMatchObject({ healthy: true, reasons: [] });
    // The proxy's own counts of this step, read once the traffic stopped: the weight to within two
    // requests (those in flight at the switch, by the millisecond they arrived).
    const [mine, stable] = await Promise.all([shas.summer, shas.spring].map((sha) => canary.snapshot(version(sha), 60_000)));
    const total = mine.traffic!.requests + stable.traffic!.requests;
    expect(Math.abs(mine.traffic!.requests - (total * weight) / 100)).toBeLessThanOrEqual(2);
  }
  const traffic = startTraffic(env.url);
  await canary.promote(version(shas.summer));
  reports.push(await traffic.stop());
  expect(await canary.versions()).toEqual({ stable: version(shas.summer), previous: version(shas.spring) });
  for (const report of reports) {
    expect(report.unanswered).toBe(0);
    expect(report.byVersion[version(shas.summer)].ok).toBeGreaterThan(0);
    expect(Object.values(report.byVersion).every((c) => c.failed === 0)).toBe(true);
  }
});

test('a version answering 500s is caught at 10% and rolled back while the stable version keeps serving', async () => {
  const env = await environment('failing');
  await env.target(shas.spring).deploy(version(shas.spring));
  const canary = env.target(shas.broken);
  const traffic = startTraffic(env.url);
  let verdict;
  try {
    await canary.setCanaryWeight(version(shas.broken), 10);
    verdict = await analyzeVersion({ target: canary, version: version(shas.broken), environment: 'failing', analysis: env.analysis });
    await canary.rollback(version(shas.broken));
    await delay(300); // traffic after the rollback goes to the stable version alone
  } finally {
    await traffic.stop();
  }
  expect(verdict.healthy).toBe(false);
  expect(verdict.reasons[0]).toMatch(/^error rate 100% \(\d+ of \d+\) > 5%$/);
  expect(await canary.versions()).toEqual({ stable: version(shas.spring) });
  const stable = traffic.report.byVersion[version(shas.spring)];
  expect(stable).toMatchObject({ failed: 0 });
  expect(stable.ok).toBeGreaterThan(100);
  expect(traffic.report.byVersion[version(shas.broken)].ok).toBe(0);
  expect(traffic.report.unanswered).toBe(0);
  expect(await servedBy(env.url)).toBe(version(shas.spring));
});

test('blue-green: the idle colour gets no traffic until the switch, the old one stays for an instant switch back', async () => {
  const env = await environment('blue-green', 'blue-green');
  await env.target(shas.spring).deploy(version(shas.spring));
  const green = env.target(shas.summer);
  await green.setCanaryWeight(version(shas.summer), 0);
  for (let i = 0; i < 10; i++) expect(await servedBy(env.url)).toBe(version(shas.spring));
  expect((await analyzeVersion({ target: green, version: version(shas.summer), environment: 'blue-green', analysis: { ...env.analysis, minRequests: 0 } })).healthy).toBe(true);

  await green.promote(version(shas.summer));
  expect(await servedBy(env.url)).toBe(version(shas.summer));
  const blue = (await env.state.read()).previous!;
  expect(isRunning(blue.pid)).toBe(true);

  await green.rollback(version(shas.summer));
  expect(await servedBy(env.url)).toBe(version(shas.spring));
  expect((await env.state.read()).stable!.pid).toBe(blue.pid); // the same process: no start-up wait

  await green.promote(version(shas.summer));
  await green.retirePrevious(version(shas.summer));
  expect(isRunning(blue.pid)).toBe(false);
  expect(await green.versions()).toEqual({ stable: version(shas.summer), previous: version(shas.spring) });
});

test('a restarted worker carries on: the state is on disk, and a proxy that died comes back with its routes', async () => {
  const env = await environment('restart');
  await env.target(shas.spring).deploy(version(shas.spring));
  await env.target(shas.summer).setCanaryWeight(version(shas.summer), 50);
  await stopLocalEnvironment(started.at(-1)!.config, { stateDir, app: 'shop', environment: 'restart' });
  await expect(fetch(env.url)).rejects.toThrow();

  // A new target object knows only the state folder, like a worker after a restart.
  const again = env.target(shas.summer);
  expect(await again.versions()).toEqual({ stable: version(shas.spring), canary: { version: version(shas.summer), weight: 50 } });
  // After a reboot the stable version comes back; the canary, a step of a promotion, does not.
  await again.resume();
  expect(await servedBy(env.url)).toBe(version(shas.spring));
  expect(await again.versions()).toEqual({ stable: version(shas.spring) });
  await again.setCanaryWeight(version(shas.summer), 50);
  await again.promote(version(shas.summer));
  expect(await servedBy(env.url)).toBe(version(shas.summer));
});

test('a version that cannot start fails with its own output, and the stable version stays untouched', async () => {
  const env = await environment('cannot-start');
  await env.target(shas.spring).deploy(version(shas.spring));
  const before = await env.state.read();
  const broken = localTarget(
    { kind: 'local', start: 'echo "missing config: SHOP_SECRET" >&2; exit 3', port: env.port, healthPath: '/healthz', startTimeout: 5_000 },
    { app: 'shop', environment: 'cannot-start', strategy: 'canary', source: { repo: repo.dir, sha: shas.summer }, stateDir },
  );
  await expect(broken.setCanaryWeight(version(shas.summer), 10)).rejects.toThrow(/exited with 3 before it was healthy:\nmissing config: SHOP_SECRET/);
  expect(await env.state.read()).toEqual(before);
  expect(await servedBy(env.url)).toBe(version(shas.spring));
});

test('a process a dead worker left half-started is stopped by the next call, from the journal in the state', async () => {
  const env = await environment('half-started');
  await env.target(shas.spring).deploy(version(shas.spring));
  // What a worker that died while a version started leaves: the process, journalled as to stop.
  const orphan = spawn('/bin/sh', ['-c', 'sleep 60'], { detached: true, stdio: 'ignore' });
  orphan.unref();
  const s = await env.state.read();
  await env.state.write({ ...s, stopping: [{ version: version(shas.summer), sha: shas.summer, port: 1, pid: orphan.pid! }] });
  expect(isRunning(orphan.pid)).toBe(true);

  await env.target(shas.summer).snapshot(version(shas.spring), 60_000);
  expect(isRunning(orphan.pid)).toBe(false);
  expect((await env.state.read()).stopping).toBeUndefined();
  expect(await servedBy(env.url)).toBe(version(shas.spring));
});

describe('what a version gets in its environment', () => {
  const app = new TestRepo();
  // Reports its whole environment, and prints its secret then dies when told to.
  const server = `const http = require('node:http');
if (require('node:fs').existsSync('crash')) { console.log('connecting with ' + process.env.STRIPE_KEY); process.exit(2); }
http.createServer((req, res) => res.end(req.url === '/env' ? JSON.stringify(process.env) : 'ok')).listen(Number(process.env.PORT), '127.0.0.1');
`;
  const first = app.commit('An app that shows its environment', AUTHORS.ada, { 'server.js': server });
  const crashing = app.commit('An app that prints its secret and exits', AUTHORS.linus, { crash: '' });
  const SECRET = 'sk_live_51Hx9QsecretStripeKey';
  const DATABASE = 'postgres://shop:db-pa55word@db.internal/shop_dev';
  const appEnvironment = appEnvironmentOf({
    variables: { LOG_LEVEL: 'debug' },
    secrets: { STRIPE_KEY: 'FERRY_TEST_STRIPE_KEY' },
    database: { urlEnv: 'FERRY_TEST_DEV_DATABASE_URL' },
  });

  beforeAll(() => {
    Object.assign(process.env, { FERRY_TEST_STRIPE_KEY: SECRET, FERRY_TEST_DEV_DATABASE_URL: DATABASE, FERRY_TEST_WORKER_ONLY: 'the worker’s own' });
  });
  afterAll(() => {
    for (const name of ['FERRY_TEST_STRIPE_KEY', 'FERRY_TEST_DEV_DATABASE_URL', 'FERRY_TEST_WORKER_ONLY']) delete process.env[name];
  });

  async function environmentOf(name: string) {
    const port = await freePort();
    const config: LocalTargetConfig = { kind: 'local', start: 'node server.js', port, healthPath: '/healthz', startTimeout: 20_000 };
    started.push({ config, environment: name });
    const target = (sha: string, given = appEnvironment) =>
      localTarget(config, { app: 'shop', environment: name, strategy: 'rolling', source: { repo: app.dir, sha }, stateDir, appEnvironment: given });
    return { port, target, stateFile: `${stateDir}/shop/${name}/state.json` };
  }

  test('its variables, its secrets read on the worker, the database URL, and nothing else of the worker’s environment', async () => {
    const env = await environmentOf('app-env');
    await env.target(first).deploy('app:1');
    const seen = (await (await fetch(`http://127.0.0.1:${env.port}/env`)).json()) as Record<string, string>;
    const { PWD, ...rest } = seen; // the shell's own
    expect(PWD).toBeDefined();
    expect(rest).toEqual({
      ...baseEnvironment(),
      LOG_LEVEL: 'debug',
      STRIPE_KEY: SECRET,
      DATABASE_URL: DATABASE,
      PORT: expect.stringMatching(/^\d+$/),
      VERSION: 'app:1',
      COMMIT: first,
      ENVIRONMENT: 'app-env',
    });
    // What the state keeps to start the version again: the names of the secrets, never their values.
    const state = fs.readFileSync(env.stateFile, 'utf8');
    expect(state).toContain('FERRY_TEST_STRIPE_KEY');
    expect(state).not.toContain(SECRET);
    expect(state).not.toContain('db-pa55word');
  });

  test('a secret this worker lacks fails the deploy for good, naming the variable, and the running version keeps serving', async () => {
    const env = await environmentOf('app-env-missing');
    await env.target(first).deploy('app:1');
    delete process.env.FERRY_TEST_STRIPE_KEY;
    try {
      const failure = await env
        .target(first)
        .deploy('app:2')
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({
        type: 'InvalidInput',
        nonRetryable: true,
        message: "secrets.STRIPE_KEY: the app's STRIPE_KEY comes from the worker variable FERRY_TEST_STRIPE_KEY (or, for the database URL, database.urlEnv), which is not set on this worker",
      });
      expect(await servedBy(`http://127.0.0.1:${env.port}/`)).toBe('app:1');
    } finally {
      process.env.FERRY_TEST_STRIPE_KEY = SECRET;
    }
  });

  test('an app that prints its secret and exits: the error quotes its output with the secret masked', async () => {
    const env = await environmentOf('app-env-crash');
    const failure = (await env
      .target(crashing)
      .deploy('app:crash')
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as Error;
    expect(failure.message).toContain('exited with 2 before it was healthy:\nconnecting with ***FERRY_TEST_STRIPE_KEY***');
    expect(failure.message).not.toContain(SECRET);
  });

  test('a rollback starts the version before again with what it was given then, not with the new settings', async () => {
    const env = await environmentOf('app-env-rollback');
    const logLevel = async () => ((await (await fetch(`http://127.0.0.1:${env.port}/env`)).json()) as Record<string, string>).LOG_LEVEL;
    await env.target(first).deploy('app:1');
    expect(await logLevel()).toBe('debug');
    const quieter = { ...appEnvironment, variables: { LOG_LEVEL: 'warn' } };
    await env.target(first, quieter).deploy('app:2');
    expect(await logLevel()).toBe('warn');
    await env.target(first, quieter).rollback('app:2');
    expect(await servedBy(`http://127.0.0.1:${env.port}/`)).toBe('app:1');
    expect(await logLevel()).toBe('debug');
  });
});
