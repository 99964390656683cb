// A local version with several processes (issue 11 §2): the web process behind the proxy and its
// other processes (workers) started from the same release folder with the same environment,
// judged by staying up, and rolled out, rolled back, stopped and resumed as one. Real processes
// from real git repositories: the shop with its worker, and a small app that shows what it got.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { analyzeVersion } from '../../activities/health/analysis';
import { isRunning } from '../../activities/targets/local/app-process';
import { localTarget, stopLocalEnvironment, type LocalTargetConfig } from '../../activities/targets/local/local-target';
import { StateFile, type LocalState } from '../../activities/targets/local/state';
import { appEnvironmentOf, type AppEnvironment } from '../../common/app-environment';
import { parseConfig } from '../../common/parse-config';
import { signalGroup } from '../../activities/process-group';
import { AUTHORS, removeTempDirs, tempDir, TestRepo } from '../helpers/git-repo';
import { passwordOf, query, startTestPostgres } from '../helpers/postgres';
import { freePort, shopRepo } from '../helpers/shop';

const stateDir = tempDir('environments');
const started: Array<{ config: LocalTargetConfig; environment: string }> = [];
const WORKER = { name: 'worker', start: 'node worker.js' };

const analysis = parseConfig(
  `app: shop\nrepo: r\nbuild: { command: b }\nenvironments:\n  - name: x\n    target: { kind: local, start: s, port: 2000 }\n    analysis: { minRequests: 0, maxWait: 5s, http: [{ path: /healthz }] }\n`,
).environments[0].analysis;

async function environment(name: string, repoDir: string, processes: LocalTargetConfig['processes'] = [WORKER]) {
  const port = await freePort();
  const config: LocalTargetConfig = { kind: 'local', start: 'node server.js', processes, port, healthPath: '/healthz', startTimeout: 20_000 };
  started.push({ config, environment: name });
  const target = (sha: string, options: { appEnvironment?: AppEnvironment; config?: LocalTargetConfig; settleMs?: number } = {}) =>
    localTarget(options.config ?? config, {
      app: 'shop',
      environment: name,
      strategy: 'rolling',
      source: { repo: repoDir, sha },
      stateDir,
      appEnvironment: options.appEnvironment,
      settleMs: options.settleMs,
    });
  const state = new StateFile(`${stateDir}/shop/${name}/state.json`);
  const logs = `${stateDir}/shop/${name}/logs`;
  /** Where a process of a version logs: named by its commit and its name, never by the state. */
  const logOf = (sha: string, process: string) => path.join(logs, `${sha.slice(0, 12)}-${process}.log`);
  return { port, config, url: `http://127.0.0.1:${port}/`, target, state, logs, logOf };
}

async function servedBy(url: string): Promise<string | null> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.headers.get('x-ferry-version');
}

/** Every pid a version in the state runs: its web process first, then the others by name. */
function pidsOf(version: NonNullable<LocalState['previous']>): Record<string, number | undefined> {
  return { web: version.pid, ...Object.fromEntries((version.processes ?? []).map((p) => [p.name, p.pid])) };
}

/** Waits (up to a minute) until `pid`'s process group is gone: a process's own crash takes its time. */
async function untilExited(pid: number): Promise<void> {
  for (let i = 0; i < 600 && isRunning(pid); i++) await delay(100);
}

afterAll(async () => {
  await Promise.all(started.map(({ config, environment }) => stopLocalEnvironment(config, { stateDir, app: 'shop', environment })));
  removeTempDirs();
});

describe('the shop with its worker', () => {
  const { repo, shas } = shopRepo();
  const version = (sha: string) => `shop:${sha.slice(0, 7)}`;

  test('a two-process release rolls out: both run, each with a log of its own, and the state records both', async () => {
    const env = await environment('two-processes', repo.dir);
    await env.target(shas.spring, { appEnvironment: appEnvironmentOf({ variables: { LOG_LEVEL: 'debug' } }) }).deploy(version(shas.spring));
    expect(await servedBy(env.url)).toBe(version(shas.spring));
    const stable = (await env.state.read()).stable!;
    expect(stable.processes).toEqual([{ name: 'worker', start: 'node worker.js', pid: expect.any(Number) }]);
    const pids = pidsOf(stable);
    expect(new Set(Object.values(pids)).size).toBe(2);
    expect(Object.values(pids).every(isRunning)).toBe(true);
    // Each process logs at the environment's LOG_LEVEL, into its own file.
    expect(fs.readFileSync(env.logOf(shas.spring, 'worker'), 'utf8')).toContain(`info worker: shop worker ${version(shas.spring)}: no DATABASE_URL`);
    expect(fs.readFileSync(env.logOf(shas.spring, 'web'), 'utf8')).toMatch(/debug web: GET \/healthz 200/);
    expect((await env.target(shas.spring).snapshot(version(shas.spring), 60_000)).problems).toEqual([]);

    // A rolling deploy of the next release replaces both processes.
    await env.target(shas.summer).deploy(version(shas.summer));
    expect(Object.values(pids).some(isRunning)).toBe(false);
    const next = (await env.state.read()).stable!;
    expect(Object.values(pidsOf(next)).every(isRunning)).toBe(true);
    expect(Object.keys(pidsOf(next))).toEqual(['web', 'worker']);
  });

  test('a worker that dies after the start is seen by snapshot and analysis; rollback stops both and restarts the previous version with its own processes', async () => {
    const env = await environment('worker-crash', repo.dir);
    await env.target(shas.spring).deploy(version(shas.spring));
    const spring = (await env.state.read()).stable!;

    // The new config adds a process; once the release is up, both of its other processes die
    // (killed by the test, so the death comes after the start, whatever the machine's speed).
    const withMailer = { ...env.config, start: 'exec node server.js', processes: [WORKER, { name: 'mailer', start: 'node worker.js' }] };
    const summer = env.target(shas.summer, { config: withMailer });
    await summer.deploy(version(shas.summer));
    const crashed = (await env.state.read()).stable!;
    expect(Object.keys(pidsOf(crashed))).toEqual(['web', 'worker', 'mailer']);
    for (const { pid } of crashed.processes!) {
      signalGroup(pid, 'SIGKILL');
      await untilExited(pid);
    }

    const snapshot = await summer.snapshot(version(shas.summer), 60_000);
    expect(snapshot.problems).toHaveLength(2);
    expect(snapshot.problems[0]).toBe(
      `${version(shas.summer)}'s worker process (pid ${crashed.processes![0].pid}) has exited: info worker: shop worker ${version(shas.summer)}: no DATABASE_URL, nothing to ship`,
    );
    expect(snapshot.problems[1]).toMatch(/^shop:\w+'s mailer process \(pid \d+\) has exited: /);
    const verdict = await analyzeVersion({ target: summer, version: version(shas.summer), environment: 'worker-crash', analysis });
    expect(verdict.healthy).toBe(false);
    expect(verdict.reasons).toEqual(expect.arrayContaining(snapshot.problems));

    await summer.rollback(version(shas.summer));
    expect(Object.values(pidsOf(crashed)).some(isRunning)).toBe(false); // the web process too
    expect(await servedBy(env.url)).toBe(version(shas.spring));
    const restored = (await env.state.read()).stable!;
    // Spring again as it ran: its own commands, not the new config's, and no mailer.
    expect(restored).toMatchObject({ start: 'node server.js', processes: [{ ...WORKER, pid: expect.any(Number) }] });
    expect(Object.keys(pidsOf(restored))).toEqual(['web', 'worker']);
    expect(Object.values(pidsOf(restored)).every(isRunning)).toBe(true);
    expect(pidsOf(restored).worker).not.toBe(spring.processes![0].pid);
    expect((await summer.snapshot(version(shas.spring), 60_000)).problems).toEqual([]);
    expect(await summer.versions()).toEqual({ stable: version(shas.spring) });
  });

  test('a worker that exits while the start waits for it to settle fails the start and stops the web process; the stable version keeps serving', async () => {
    const env = await environment('worker-exits-at-start', repo.dir);
    await env.target(shas.spring).deploy(version(shas.spring));
    const before = await env.state.read();
    // Its first round, and crash, comes 0.1 s after it started; the start waits a minute for the
    // workers to settle (as long as the web process may take), so the crash is always within it.
    const soon = appEnvironmentOf({ variables: { SHOP_WORKER_CRASH: '1', SHOP_WORKER_INTERVAL_MS: '100' } });
    const patient = { config: { ...env.config, startTimeout: 60_000 }, settleMs: 60_000 };
    const failure = (await env
      .target(shas.summer, { appEnvironment: soon, ...patient })
      .deploy(version(shas.summer))
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as Error;
    expect(failure.message).toMatch(/^"node worker.js" \(the worker process\) exited with 1 before shop:\w+ was up:\n/);
    expect(failure.message).toContain('error worker: crashing on purpose (SHOP_WORKER_CRASH=1)');
    expect(await env.state.read()).toEqual(before);
    expect(await servedBy(env.url)).toBe(version(shas.spring));
    // Nothing of the failed version is left: only the stable version's processes remain.
    const web = fs.readFileSync(path.join(env.logs, `${shas.summer.slice(0, 12)}-web.log`), 'utf8');
    expect(web).toMatch(/shop shop:\w+ \(summer\) on :\d+/);
  });

  test('stopping the environment stops every process; resume brings the stable version back with all of them, and restarts it whole when one died', async () => {
    const env = await environment('resume-processes', repo.dir);
    await env.target(shas.spring).deploy(version(shas.spring));
    const first = pidsOf((await env.state.read()).stable!);
    await stopLocalEnvironment(env.config, { stateDir, app: 'shop', environment: 'resume-processes' });
    expect(Object.values(first).some(isRunning)).toBe(false);

    await env.target(shas.spring).resume();
    const second = pidsOf((await env.state.read()).stable!);
    expect(Object.values(second).every(isRunning)).toBe(true);
    expect(await servedBy(env.url)).toBe(version(shas.spring));

    // Only the worker dies: the version comes back as one, its old web process stopped.
    signalGroup(second.worker!, 'SIGKILL');
    await untilExited(second.worker!);
    expect((await env.target(shas.spring).snapshot(version(shas.spring), 60_000)).problems).toEqual([
      expect.stringMatching(new RegExp(`^shop:\\w+'s worker process \\(pid ${second.worker}\\) has exited: `)),
    ]);
    await env.target(shas.spring).resume();
    const third = pidsOf((await env.state.read()).stable!);
    expect(isRunning(second.web)).toBe(false);
    expect(Object.values(third).every(isRunning)).toBe(true);
    expect(await servedBy(env.url)).toBe(version(shas.spring));
  });

  test('a state file from before processes were recorded reads as web only, and such a version is rolled back to without the new config’s worker', async () => {
    const env = await environment('old-state', repo.dir);
    await env.target(shas.spring, { config: { ...env.config, processes: undefined } }).deploy(version(shas.spring));
    // The state as Ferry wrote it before: no process list and no log file per process.
    const { stable } = await env.state.read();
    const old = { stable: { version: stable!.version, sha: stable!.sha, port: stable!.port, pid: stable!.pid } };
    fs.writeFileSync(env.state.file, JSON.stringify(old, null, 2));

    const summer = env.target(shas.summer);
    expect(await summer.versions()).toEqual({ stable: version(shas.spring) });
    expect((await summer.snapshot(version(shas.spring), 60_000)).problems).toEqual([]);
    await summer.deploy(version(shas.summer));
    expect(Object.keys(pidsOf((await env.state.read()).stable!))).toEqual(['web', 'worker']);
    await summer.rollback(version(shas.summer));
    const restored = (await env.state.read()).stable!;
    expect(restored.version).toBe(version(shas.spring));
    expect(Object.keys(pidsOf(restored))).toEqual(['web']);
    expect(await servedBy(env.url)).toBe(version(shas.spring));
  });

  test('a log path in the state file is not followed: a dead process’s output is read from its own log, and names and commits that could leave the logs folder are refused', async () => {
    const env = await environment('log-paths', repo.dir);
    await env.target(shas.spring).deploy(version(shas.spring));
    const { stable } = await env.state.read();
    // A file Ferry must never quote, named as the logs of every process, as states once recorded them.
    const elsewhere = path.join(tempDir('elsewhere'), 'credentials');
    fs.writeFileSync(elsewhere, 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n');
    const recorded = { ...stable!, log: elsewhere, processes: stable!.processes!.map((p) => ({ ...p, log: elsewhere })) };
    fs.writeFileSync(env.state.file, JSON.stringify({ stable: recorded }, null, 2));

    signalGroup(stable!.processes![0].pid, 'SIGKILL');
    await untilExited(stable!.processes![0].pid);
    const [problem] = (await env.target(shas.spring).snapshot(version(shas.spring), 60_000)).problems;
    expect(problem).toContain(`has exited: info worker: shop worker ${version(shas.spring)}: no DATABASE_URL`);
    expect(problem).not.toContain('wJalrXUtnFEMI');
    expect((await env.state.read()).stable).toEqual(stable); // the paths are dropped as it reads

    const damaged = async (state: unknown) => {
      fs.writeFileSync(env.state.file, JSON.stringify(state));
      return env.state.read().then(
        () => 'read',
        (e: Error) => e.message,
      );
    };
    const named = (name: string) => ({ stable: { ...stable!, processes: [{ ...stable!.processes![0], name }] } });
    for (const name of ['../../../../elsewhere/credentials', 'a/b', 'Worker', 'w'.repeat(41)]) {
      expect(await damaged(named(name))).toMatch(/is damaged .*stable.*processes/s);
    }
    expect(await damaged(named('w'.repeat(40)))).toBe('read');
    expect(await damaged({ stable: { ...stable!, sha: '../../../../../etc/passwd' } })).toMatch(/is damaged .*sha/s);
    expect(await damaged({ stable: { ...stable!, version: 'v'.repeat(201) } })).toMatch(/is damaged .*version/s);
    expect(await damaged({ stable: { ...stable!, start: 's'.repeat(10_001) } })).toMatch(/is damaged .*start/s);
    const tooMany = Array.from({ length: 101 }, (_, i) => [`V${i}`, 'x']);
    expect(await damaged({ stable: { ...stable!, app: { variables: Object.fromEntries(tooMany), secrets: {} } } })).toMatch(/is damaged .*variables/s);
    fs.writeFileSync(env.state.file, JSON.stringify({ stable }, null, 2));
  });

  test('canary and blue-green: a canary rolled back stops both of its processes; the old colour keeps both for a switch back, and retiring it stops both', async () => {
    const env = await environment('colours', repo.dir);
    await env.target(shas.spring).deploy(version(shas.spring));
    const canary = env.target(shas.summer);
    await canary.setCanaryWeight(version(shas.summer), 10);
    const first = pidsOf((await env.state.read()).canary!);
    expect(Object.keys(first)).toEqual(['web', 'worker']);
    await canary.rollback(version(shas.summer));
    expect(Object.values(first).some(isRunning)).toBe(false);

    const green = localTarget(env.config, { app: 'shop', environment: 'colours', strategy: 'blue-green', source: { repo: repo.dir, sha: shas.summer }, stateDir });
    const blue = pidsOf((await env.state.read()).stable!);
    await green.setCanaryWeight(version(shas.summer), 0);
    await green.promote(version(shas.summer));
    expect(await servedBy(env.url)).toBe(version(shas.summer));
    expect(pidsOf((await env.state.read()).previous!)).toEqual(blue);
    expect(Object.values(blue).every(isRunning)).toBe(true);
    await green.rollback(version(shas.summer)); // an instant switch back: the same processes
    expect(pidsOf((await env.state.read()).stable!)).toEqual(blue);
    await green.promote(version(shas.summer));
    await green.retirePrevious(version(shas.summer));
    expect(Object.values(blue).some(isRunning)).toBe(false);
    expect((await env.state.read()).previous).toEqual({ version: version(shas.spring), sha: shas.spring, start: 'node server.js', processes: [WORKER] });
  });

  test('with a migrated database, the worker ships placed orders and the web process tells which database it has, without its password', async () => {
    const postgres = await startTestPostgres();
    try {
      const url = await postgres.createDatabase();
      for (const file of fs
        .readdirSync(path.join(__dirname, '..', '..', 'examples', 'shop', 'migrations'))
        .filter((f) => f.endsWith('.up.sql'))
        .sort()) {
        await query(url, fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'shop', 'migrations', file), 'utf8'));
      }
      await query(url, `INSERT INTO orders (item, quantity) VALUES ('kettle', 1), ('teapot', 2)`);
      process.env.FERRY_TEST_SHOP_DATABASE_URL = url;
      const env = await environment('shop-database', repo.dir);
      const appEnvironment = appEnvironmentOf({
        // Release folders sit outside this checkout here: the worker finds pg by NODE_PATH.
        variables: { SHOP_WORKER_INTERVAL_MS: '200', NODE_PATH: path.join(__dirname, '..', '..', 'node_modules') },
        database: { urlEnv: 'FERRY_TEST_SHOP_DATABASE_URL' },
      });
      await env.target(shas.spring, { appEnvironment }).deploy(version(shas.spring));
      const config = await (await fetch(`${env.url}config`)).text();
      const { host, pathname } = new URL(url);
      expect(JSON.parse(config)).toEqual({ environment: 'shop-database', logLevel: 'info', database: { configured: true, host, name: pathname.slice(1) } });
      expect(config).not.toContain(passwordOf(url));
      expect(config).not.toContain(new URL(url).password);

      const shipped = async () => (await query<{ n: string }>(url, `SELECT count(*) AS n FROM orders WHERE status = 'shipped'`))[0].n;
      for (let i = 0; i < 300 && (await shipped()) !== '2'; i++) await delay(100);
      expect(await shipped()).toBe('2');
      const log = fs.readFileSync(env.logOf(shas.spring, 'worker'), 'utf8');
      expect(log).toContain(`info worker: shipped 2 order(s)`);
      expect(log).not.toContain(passwordOf(url));
      await stopLocalEnvironment(env.config, { stateDir, app: 'shop', environment: 'shop-database' });
    } finally {
      delete process.env.FERRY_TEST_SHOP_DATABASE_URL;
      await postgres.stop();
    }
  });

  test('a version half-started by a dead worker is stopped whole by the next call, from the journal', async () => {
    const env = await environment('half-started-processes', repo.dir);
    await env.target(shas.spring).deploy(version(shas.spring));
    // What a worker that died mid-start leaves: both processes, journalled as to stop.
    await env.target(shas.summer).setCanaryWeight(version(shas.summer), 10);
    const s = await env.state.read();
    const { weight, ...orphan } = s.canary!;
    expect(weight).toBe(10);
    await env.state.write({ stable: s.stable, stopping: [orphan] });
    expect(Object.keys(pidsOf(orphan))).toEqual(['web', 'worker']);
    expect(Object.values(pidsOf(orphan)).every(isRunning)).toBe(true);

    await env.target(shas.summer).snapshot(version(shas.spring), 60_000);
    expect(Object.values(pidsOf(orphan)).some(isRunning)).toBe(false);
    expect((await env.state.read()).stopping).toBeUndefined();
  });
});

describe('what a worker prints of its secrets', () => {
  const app = new TestRepo();
  // The worker prints what it got; on SIGUSR2 (a test's stand-in for a lost connection) it
  // prints its secret and dies; with a `crash` file it does so at once.
  const worker = `const fs = require('node:fs');
console.log(JSON.stringify(process.env));
const die = (code) => { console.log('lost connection with ' + process.env.STRIPE_KEY); process.exit(code); };
if (fs.existsSync('crash')) die(3);
process.on('SIGUSR2', () => die(4));
setInterval(() => undefined, 1000);
`;
  const server = `require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');\n`;
  const first = app.commit('A web process and a worker that prints its secret when it dies', AUTHORS.ada, { 'server.js': server, 'worker.js': worker });
  const crashing = app.commit('A worker that dies at once', AUTHORS.linus, { crash: '' });
  const SECRET = 'sk_live_51Hx9QsecretStripeKey';
  const DATABASE = 'postgres://shop:db-pa55word@db.internal/shop_dev';
  const appEnvironment = appEnvironmentOf({
    variables: { LOG_LEVEL: 'warn' },
    secrets: { STRIPE_KEY: 'FERRY_TEST_WORKER_STRIPE_KEY' },
    database: { urlEnv: 'FERRY_TEST_WORKER_DATABASE_URL' },
  });

  beforeAll(() => Object.assign(process.env, { FERRY_TEST_WORKER_STRIPE_KEY: SECRET, FERRY_TEST_WORKER_DATABASE_URL: DATABASE }));
  afterAll(() => {
    delete process.env.FERRY_TEST_WORKER_STRIPE_KEY;
    delete process.env.FERRY_TEST_WORKER_DATABASE_URL;
  });

  test('the worker gets the web process’s environment without PORT', async () => {
    const env = await environment('worker-env', app.dir);
    await env.target(first, { appEnvironment }).deploy('app:1');
    const stable = (await env.state.read()).stable!;
    expect(stable.processes).toEqual([{ name: 'worker', start: 'node worker.js', pid: expect.any(Number) }]);
    const [line] = fs.readFileSync(env.logOf(first, 'worker'), 'utf8').split('\n');
    const { PWD, ...seen } = JSON.parse(line) as Record<string, string>;
    expect(PWD).toBe(path.join(stateDir, 'shop', 'worker-env', 'releases', first));
    expect(seen).toMatchObject({ LOG_LEVEL: 'warn', STRIPE_KEY: SECRET, DATABASE_URL: DATABASE, VERSION: 'app:1', COMMIT: first, ENVIRONMENT: 'worker-env' });
    expect(seen.PORT).toBeUndefined();
  });

  test('a worker’s output is masked in the snapshot’s problem and in a failed start', async () => {
    const env = await environment('worker-masking', app.dir);
    const target = env.target(first, { appEnvironment });
    await target.deploy('app:1');
    const { pid } = (await env.state.read()).stable!.processes![0];
    signalGroup(pid, 'SIGUSR2');
    await untilExited(pid);
    const [problem] = (await target.snapshot('app:1', 60_000)).problems;
    expect(problem).toMatch(new RegExp(`^app:1's worker process \\(pid ${pid}\\) has exited: `));
    expect(problem).toContain('lost connection with ***FERRY_TEST_WORKER_STRIPE_KEY***');
    expect(problem).not.toContain(SECRET);
    expect(problem).not.toContain('db-pa55word');

    // The worker dies at once; the start waits a minute for it to settle, so it dies within that.
    const patient = { config: { ...env.config, startTimeout: 60_000 }, settleMs: 60_000 };
    const failure = (await env
      .target(crashing, { appEnvironment, ...patient })
      .deploy('app:2')
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as Error;
    expect(failure.message).toContain('"node worker.js" (the worker process) exited with 3 before app:2 was up:\n');
    expect(failure.message).toContain('lost connection with ***FERRY_TEST_WORKER_STRIPE_KEY***');
    expect(failure.message).not.toContain(SECRET);
    expect(failure.message).not.toContain('db-pa55word');
  });

  describe('once a secret changed on this worker after the version started', () => {
    const ROTATED = 'sk_live_51Hx9QrotatedStripeKey';
    afterEach(() => Object.assign(process.env, { FERRY_TEST_WORKER_STRIPE_KEY: SECRET, FERRY_TEST_WORKER_DATABASE_URL: DATABASE }));

    /** A deployed version whose worker printed its secret and died: its snapshot now quotes the log or withholds it. */
    async function deadWorker(name: string) {
      const env = await environment(name, app.dir);
      const target = env.target(first, { appEnvironment });
      await target.deploy('app:1');
      const { pid } = (await env.state.read()).stable!.processes![0];
      signalGroup(pid, 'SIGUSR2');
      await untilExited(pid);
      const problem = async () => (await target.snapshot('app:1', 60_000)).problems[0];
      const withheld = (names: string) =>
        `app:1's worker process (pid ${pid}) has exited: output withheld: the secrets ${names} it was started with have changed or are gone on this worker; see ${env.logOf(first, 'worker')}`;
      return { env, problem, withheld };
    }

    test('the snapshot withholds the log, naming the secrets and the log file, whether the value changed or is gone; the state keeps no value', async () => {
      const { env, problem, withheld } = await deadWorker('worker-rotated');
      const recorded = fs.readFileSync(env.state.file, 'utf8');
      expect(recorded).not.toContain(SECRET);
      expect(recorded).not.toContain('db-pa55word');
      expect(Object.keys((await env.state.read()).stable!.secretFingerprints!.values).sort()).toEqual(['DATABASE_URL', 'STRIPE_KEY']);

      process.env.FERRY_TEST_WORKER_STRIPE_KEY = ROTATED;
      expect(await problem()).toBe(withheld('STRIPE_KEY'));
      delete process.env.FERRY_TEST_WORKER_STRIPE_KEY;
      delete process.env.FERRY_TEST_WORKER_DATABASE_URL;
      expect(await problem()).toBe(withheld('DATABASE_URL, STRIPE_KEY'));

      process.env.FERRY_TEST_WORKER_STRIPE_KEY = SECRET;
      process.env.FERRY_TEST_WORKER_DATABASE_URL = DATABASE;
      expect(await problem()).toContain('lost connection with ***FERRY_TEST_WORKER_STRIPE_KEY***');
    });

    test('a state from before fingerprints were kept: the log is quoted, masked, only while every secret is still set', async () => {
      const { env, problem, withheld } = await deadWorker('worker-unfingerprinted');
      const { secretFingerprints, ...stable } = (await env.state.read()).stable!;
      expect(secretFingerprints).toBeDefined();
      await env.state.write({ stable });
      expect(await problem()).toContain('lost connection with ***FERRY_TEST_WORKER_STRIPE_KEY***');
      delete process.env.FERRY_TEST_WORKER_STRIPE_KEY;
      expect(await problem()).toBe(withheld('STRIPE_KEY'));
    });

    test('a failed start quotes only its own output, not what an earlier start of the commit printed with another value', async () => {
      const env = await environment('worker-restarted', app.dir);
      const patient = { appEnvironment, config: { ...env.config, startTimeout: 60_000 }, settleMs: 60_000 };
      const failed = () =>
        env
          .target(crashing, patient)
          .deploy('app:2')
          .then(
            () => undefined,
            (e: unknown) => (e as Error).message,
          );
      expect(await failed()).toContain('lost connection with ***FERRY_TEST_WORKER_STRIPE_KEY***');
      process.env.FERRY_TEST_WORKER_STRIPE_KEY = ROTATED;
      const message = await failed();
      expect(fs.readFileSync(env.logOf(crashing, 'worker'), 'utf8')).toContain(SECRET);
      expect(message).toContain('lost connection with ***FERRY_TEST_WORKER_STRIPE_KEY***');
      expect(message).not.toContain(SECRET);
      expect(message?.match(/lost connection/g)).toHaveLength(1);
    });
  });
});
