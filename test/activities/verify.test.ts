// verify against real systems: a real local-target version (a real process behind the real proxy,
// started from a real release folder of a real git repository) and a real command in a worktree.
import fs from 'node:fs';
import path from 'node:path';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { stopLocalEnvironment, localTarget, type LocalTargetConfig } from '../../activities/targets/local/local-target';
import { verifyActivities } from '../../activities/verify';
import type { VerifyInput, VerifyResult } from '../../common/activity-contracts';
import { FailureType } from '../../common/errors';
import { failureOf } from '../helpers/failures';
import { AUTHORS, removeTempDirs, tempDir, TestRepo } from '../helpers/git-repo';
import { freePort } from '../helpers/shop';

/** Answers every request with the version it runs, so a test sees which version FERRY_URL reaches. */
const APP = `require('node:http').createServer((q, r) => r.end(process.env.VERSION)).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;
/** Asks FERRY_URL five times and writes what it got and what it was given to $VERIFY_REPORT. */
const REPORT = `const fs = require('node:fs');
(async () => {
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await (await fetch(process.env.FERRY_URL + '/')).text());
  fs.writeFileSync(process.env.VERIFY_REPORT, JSON.stringify({ answers, env: process.env, checkedOut: fs.existsSync('checks/report.js') }));
})();
`;

const repo = new TestRepo();
const first = repo.commit('Open the shop', AUTHORS.ada, { 'app.js': APP, 'checks/report.js': REPORT });
const second = repo.commit('Summer release', AUTHORS.grace, { 'release.txt': 'summer\n' });
const version = (sha: string) => `shop:${sha.slice(0, 7)}`;
const stateDir = tempDir('verify-environments');
const reportFile = path.join(tempDir('verify-reports'), 'report.json');
const activities = verifyActivities({ stateDir });

let config: LocalTargetConfig;
const ENVIRONMENT = 'verify-dev';
const target = (sha: string) => localTarget(config, { app: 'shop', environment: ENVIRONMENT, strategy: 'canary', source: { repo: repo.dir, sha }, stateDir });

beforeAll(async () => {
  config = { kind: 'local', start: 'node app.js', port: await freePort(), healthPath: '/', startTimeout: 20_000 };
  await target(first).deploy(version(first));
  process.env.VERIFY_REPORT = reportFile;
  process.env.FERRY_TEST_NOT_PASSED = 'the worker keeps this';
  process.env.FERRY_TEST_CHARGE = 'sk_live_4242abcdXYZ';
});

afterAll(async () => {
  await stopLocalEnvironment(config, { stateDir, app: 'shop', environment: ENVIRONMENT });
  for (const name of ['VERIFY_REPORT', 'FERRY_TEST_NOT_PASSED', 'FERRY_TEST_CHARGE']) delete process.env[name];
  removeTempDirs();
});

let runs = 0;
function inputFor(sha: string, overrides: Omit<Partial<VerifyInput>, 'verify'> & { verify?: Partial<VerifyInput['verify']> } = {}): VerifyInput {
  const { verify, ...rest } = overrides;
  return {
    app: 'shop',
    environment: ENVIRONMENT,
    target: config,
    strategy: 'canary',
    version: version(sha),
    source: { repo: repo.dir, sha },
    appEnvironment: { variables: { LOG_LEVEL: 'debug' }, secrets: {} },
    promotionId: `ferry-shop-verify-${++runs}`,
    secretEnv: [],
    verify: { name: 'smoke', command: 'node checks/report.js', timeout: 60_000, afterEachCanaryStep: false, passEnv: ['VERIFY_REPORT'], ...verify },
    ...rest,
  };
}

function run(input: VerifyInput): Promise<VerifyResult> {
  const info: Partial<Info> = { workflowExecution: { workflowId: `verify-test-${process.pid}`, runId: 'run' }, activityId: String(runs), attempt: 1 };
  return new MockActivityEnvironment(info).run<[VerifyInput], VerifyResult, typeof activities.verify>(activities.verify, input);
}

const report = () => JSON.parse(fs.readFileSync(reportFile, 'utf8')) as { answers: string[]; env: Record<string, string>; checkedOut: boolean };

test('a passing command gets the address of exactly the version under test, and the environment’s name and variables', async () => {
  const result = await run(inputFor(first, { verify: { command: 'sleep 1 && node checks/report.js' } }));

  const { answers, env, checkedOut } = report();
  expect(answers).toEqual(Array(5).fill(version(first)));
  expect(result.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(result.url).not.toBe(`http://127.0.0.1:${config.port}`); // the version itself, not the proxy
  expect(env).toMatchObject({ FERRY_URL: result.url, ENVIRONMENT, VERSION: version(first), COMMIT: first, LOG_LEVEL: 'debug', VERIFY_REPORT: reportFile });
  expect(env.PATH).toBe(process.env.PATH);
  expect(env).not.toHaveProperty('FERRY_TEST_NOT_PASSED');
  expect(env).not.toHaveProperty('FERRY_TEST_CHARGE');
  expect(checkedOut).toBe(true); // ran in a checkout of the commit
  expect(result.durationMs).toBeGreaterThanOrEqual(1_000); // the command's own sleep, at least
});

test('for a canary, FERRY_URL reaches the canary alone; the stable version keeps its own address', async () => {
  await target(second).setCanaryWeight(version(second), 10);
  try {
    const canary = await run(inputFor(second, { canaryWeight: 10 }));
    expect(report().answers).toEqual(Array(5).fill(version(second)));
    const stable = await run(inputFor(first));
    expect(report().answers).toEqual(Array(5).fill(version(first)));
    expect(canary.url).not.toBe(stable.url);
  } finally {
    await target(second).rollback(version(second));
  }
});

test('a failing command fails for good with its output’s tail, every secret the config names masked', async () => {
  const leak = 'echo "charging with $FERRY_TEST_CHARGE"; echo "POST /orders -> 500" >&2; exit 3';
  const failure = await failureOf(run(inputFor(first, { secretEnv: ['FERRY_TEST_CHARGE'], verify: { name: 'e2e', command: leak, passEnv: ['FERRY_TEST_CHARGE'] } })));

  expect(failure.type).toBe(FailureType.VerifyFailed);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(new RegExp(`^verify e2e failed with exit code 3 against ${version(first)} in ${ENVIRONMENT}: last lines:\\n`));
  expect(failure.message).toContain('charging with ***FERRY_TEST_CHARGE***');
  expect(failure.message).toContain('POST /orders -> 500');
  expect(failure.message).not.toContain('sk_live_4242abcdXYZ');

  // The control: the same command with no secret named prints the value (the masking above is secretEnv's doing).
  const unmasked = await failureOf(run(inputFor(first, { verify: { name: 'e2e', command: leak, passEnv: ['FERRY_TEST_CHARGE'] } })));
  expect(unmasked.message).toContain('charging with sk_live_4242abcdXYZ');
});

test('a canary’s failure says it was the canary at its weight', async () => {
  await target(second).setCanaryWeight(version(second), 25);
  try {
    const failure = await failureOf(run(inputFor(second, { canaryWeight: 25, verify: { command: 'exit 1' } })));
    expect(failure.message).toMatch(new RegExp(`^verify smoke failed with exit code 1 against the canary ${version(second)} at 25% in ${ENVIRONMENT}: last lines:\\n\\(no output\\)$`));
  } finally {
    await target(second).rollback(version(second));
  }
});

test('a command that outlives its timeout is stopped and fails for good', async () => {
  const failure = await failureOf(run(inputFor(first, { verify: { name: 'perf', command: 'echo warming up; sleep 300', timeout: 2_000 } })));
  expect(failure.type).toBe(FailureType.VerifyFailed);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(`verify perf timed out after 2s against ${version(first)} in ${ENVIRONMENT}: last lines:\nwarming up`);
});

test('the timeout is the command’s own: a checkout slower than it does not count', async () => {
  // git runs post-checkout when the worktree is added: the checkout takes 3 s, the timeout is 2 s.
  const hook = path.join(repo.dir, '.git', 'hooks', 'post-checkout');
  fs.mkdirSync(path.dirname(hook), { recursive: true });
  fs.writeFileSync(hook, '#!/bin/sh\nsleep 3\n', { mode: 0o755 });
  try {
    const result = await run(inputFor(first, { verify: { command: 'node checks/report.js', timeout: 2_000 } }));
    expect(report().answers).toEqual(Array(5).fill(version(first)));
    expect(result.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  } finally {
    fs.rmSync(hook);
  }
});

describe('input out of bounds is refused for good, naming the field, before anything runs', () => {
  test.each([
    ['a timeout over 24h', { verify: { timeout: 86_400_001 } }, 'verify.timeout: must be at most 24h'],
    [
      'a process name that is not a name',
      { target: { kind: 'local', start: 'node app.js', port: 40_000, healthPath: '/', startTimeout: 20_000, processes: [{ name: 'Worker One', start: 'node worker.js' }] } },
      'target.processes[0].name',
    ],
    [
      'a start command of megabytes',
      { target: { kind: 'local', start: 'x'.repeat(2_000_000), port: 40_000, healthPath: '/', startTimeout: 20_000 } },
      'target.start: must be at most 10000 characters',
    ],
    [
      'a manifests path outside the repository',
      { target: { kind: 'kubernetes', context: 'c', namespace: 'shop', url: 'http://shop', manifests: { path: '../elsewhere' } }, strategy: 'rolling' },
      'target.manifests.path',
    ],
    ['a secret naming no variable', { appEnvironment: { variables: {}, secrets: { STRIPE_KEY: 'not a variable' } } }, 'appEnvironment.secrets.STRIPE_KEY'],
  ] as const)('%s', async (_, overrides, field) => {
    const failure = await failureOf(run(inputFor(first, { ...(overrides as object), verify: { command: 'touch "$VERIFY_REPORT.ran"', ...(overrides as { verify?: object }).verify } })));
    expect(failure.type).toBe(FailureType.InvalidInput);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(field);
    expect(failure.message.length).toBeLessThan(1_000);
    expect(fs.existsSync(`${reportFile}.ran`)).toBe(false);
  });
});

test('a version that does not run has no address: refused for good, saying why, before any command runs', async () => {
  const failure = await failureOf(run(inputFor(second, { verify: { command: 'touch "$VERIFY_REPORT.ran"' } })));
  expect(failure.type).toBe(FailureType.VerifyFailed);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(`verify smoke: ${version(second)} in ${ENVIRONMENT} has no address: ${version(second)} is not running in ${ENVIRONMENT}`);
  expect(fs.existsSync(`${reportFile}.ran`)).toBe(false);
});

test('a Kubernetes target without url gives no address: refused as invalid input naming target.url', async () => {
  const input = inputFor(first, {
    target: { kind: 'kubernetes', context: 'no-such-context', namespace: 'shop', deployment: 'shop' },
    strategy: 'rolling',
    verify: { command: 'touch "$VERIFY_REPORT.ran"' },
  });
  const failure = await failureOf(run(input));
  expect(failure.type).toBe(FailureType.InvalidInput);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(`verify smoke: ${ENVIRONMENT}'s Kubernetes target has no url, so the version under test has no address for FERRY_URL: set target.url`);
  expect(fs.existsSync(`${reportFile}.ran`)).toBe(false);
});
