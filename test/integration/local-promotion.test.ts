// The Ferry worker with every activity real promotes the example shop, from its own
// ferry.config.yaml, through dev and staging on the local target: real git, real build and
// test commands, real processes behind real proxies, real HTTP traffic during the canary.
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { stopLocalEnvironment } from '../../activities/targets/local/local-target';
import type { FerryConfig } from '../../common/config-schema';
import { parseConfig } from '../../common/parse-config';
import { buildPlan } from '../../common/plan';
import { AUTHORS, removeTempDirs, tempDir } from '../helpers/git-repo';
import { environment, locksSettled, outcome, startPromotion, step } from '../helpers/promotions';
import { freePort, shopRepo, startTraffic, type TrafficReport } from '../helpers/shop';
import { startFerryWorker, startTimeSkippingServer } from '../helpers/temporal-env';

const { repo, shas } = shopRepo();
const stateDir = tempDir('environments');
let env: TestWorkflowEnvironment;
let config: FerryConfig;

beforeAll(async () => {
  env = await startTimeSkippingServer();
  config = parseConfig(fs.readFileSync(path.join(__dirname, '../../examples/shop/ferry.config.yaml'), 'utf8'), 'examples/shop/ferry.config.yaml');
  config.repo = repo.dir;
  // Databases have their own integration test; production waits for a person.
  config.environments = config.environments.filter((e) => e.name !== 'production').map((e) => ({ ...e, database: undefined }));
  for (const e of config.environments) {
    if (e.target.kind === 'local') e.target = { ...e.target, port: await freePort(), metricsPort: undefined };
  }
});

afterAll(async () => {
  for (const e of config?.environments ?? []) {
    if (e.target.kind === 'local') await stopLocalEnvironment(e.target, { stateDir, app: 'shop', environment: e.name });
  }
  await env?.teardown();
  removeTempDirs();
});

const stagingUrl = () => {
  const target = config.environments.find((e) => e.name === 'staging')!.target;
  return `http://127.0.0.1:${target.kind === 'local' ? target.port : 0}/`;
};

async function promote(sha: string, pipeline: FerryConfig = config) {
  const worker = await startFerryWorker(env, stateDir);
  const plan = buildPlan(pipeline, { sha, ref: 'main', requestedBy: 'ci-bot' });
  return worker.runUntil(async () => {
    const status = await outcome(await startPromotion(env, plan));
    await locksSettled(env, status);
    return status;
  });
}

test('the shop goes through dev and staging, staging by canary under traffic, and then serves the new release', async () => {
  // Staging's analysis waits for 20 requests: its first release needs traffic too.
  const opening = startTraffic(stagingUrl());
  const first = await promote(shas.spring).finally(() => opening.stop());
  expect(first.state).toBe('succeeded');

  const traffic = startTraffic(stagingUrl());
  const started = Date.now();
  const status = await promote(shas.summer).finally(() => traffic.stop());
  console.info(`canary 10 → 50 → 100 and stabilize on the local target, end to end: ${Date.now() - started} ms`);

  expect(status.state).toBe('succeeded');
  expect(step(status, 'staging', 'canary')).toMatchObject({ state: 'succeeded', detail: 'promoted through 10 → 50 → 100%' });
  expect(step(status, 'dev', 'deploy')).toMatchObject({ state: 'succeeded', detail: 'replaced shop:' + shas.spring.slice(0, 7) });
  const summer = traffic.report.byVersion[`shop:${shas.summer.slice(0, 7)}`];
  expect(summer.ok).toBeGreaterThan(40); // the canary's analysis needs 20 requests at 10%, then at 50%
  expect(Object.values(traffic.report.byVersion).every((c) => c.failed === 0)).toBe(true);
  expect(traffic.report.unanswered).toBe(0);
  const answer = await (await fetch(`${stagingUrl()}version`)).json();
  expect(answer).toMatchObject({ version: `shop:${shas.summer.slice(0, 7)}`, commit: shas.summer, release: 'summer' });
});

test("a release that answers 500s passes dev's smoke test, fails staging's end-to-end test against the canary at 10% and is rolled back; summer keeps serving", async () => {
  const traffic = startTraffic(stagingUrl());
  const started = Date.now();
  const status = await promote(shas.broken).finally(() => traffic.stop());
  console.info(`failed end-to-end test caught and rolled back on the local target, end to end: ${Date.now() - started} ms`);

  expect(status.state).toBe('failed');
  expect(environment(status, 'dev').state).toBe('succeeded');
  expect(step(status, 'dev', 'verify')).toMatchObject({ state: 'succeeded', detail: expect.stringMatching(/^smoke passed in /) });
  const staging = environment(status, 'staging');
  expect(staging.state).toBe('rolled-back');
  expect(staging.error).toMatch(/^verify e2e failed with exit code 1 against the canary shop:\w+ at 10% in staging: .*the front page answers 500/s);
  expect(step(status, 'staging', 'canary')).toMatchObject({ state: 'failed' });
  expect(step(status, 'staging', 'rollback')).toMatchObject({ state: 'succeeded' });
  await expectSummerKeptServing(traffic.report, shas.broken);
});

test("without the end-to-end test, the same release is caught by staging's canary analysis at 10% and rolled back", async () => {
  const staging = config.environments.find((e) => e.name === 'staging')!;
  const withoutVerify = { ...config, environments: config.environments.map((e) => (e === staging ? { ...e, verify: undefined } : e)) };
  const brokenAgain = repo.commit('The broken release once more', AUTHORS.linus, { 'release.json': '{ "name": "broken-again", "failRate": 1 }\n' });
  const traffic = startTraffic(stagingUrl());
  const status = await promote(brokenAgain, withoutVerify).finally(() => traffic.stop());

  expect(environment(status, 'staging')).toMatchObject({ state: 'rolled-back', error: expect.stringMatching(/^analysis failed at 10%: error rate 100% \(\d+ of \d+\) > 5%/) });
  expect(step(status, 'staging', 'rollback')).toMatchObject({ state: 'succeeded' });
  await expectSummerKeptServing(traffic.report, brokenAgain);
});

async function expectSummerKeptServing(report: TrafficReport, broken: string): Promise<void> {
  const summer = report.byVersion[`shop:${shas.summer.slice(0, 7)}`];
  expect(summer.failed).toBe(0);
  expect(summer.ok).toBeGreaterThan(0);
  expect(report.byVersion[`shop:${broken.slice(0, 7)}`] ?? { ok: 0 }).toMatchObject({ ok: 0 });
  expect(report.unanswered).toBe(0);
  expect(await (await fetch(`${stagingUrl()}version`)).json()).toMatchObject({ release: 'summer' });
}
