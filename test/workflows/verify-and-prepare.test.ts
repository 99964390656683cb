// The stage's first and its testing steps, with stubbed activities: `prepare` checks before
// anything changes, `verify` runs the environment's commands against the version just deployed.
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mermaidOf } from '../../client/history/mermaid';
import { timelineOf } from '../../client/history/timeline';
import type { VerifyConfig } from '../../common/config-schema';
import { stageWorkflowId } from '../../common/plan';
import type { PromotionStatus } from '../../common/status';
import { samplePlan } from '../helpers/fixtures';
import { environment, runPromotion, step } from '../helpers/promotions';
import { stubActivities, type ActivityCall } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker, TASK_QUEUE } from '../helpers/temporal-env';
import { progressMarkdown } from '../../common/progress-markdown';

const PRODUCTION_QUEUE = `${TASK_QUEUE}-production`;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

const verifyOf = (name: string, extra: Partial<VerifyConfig> = {}): VerifyConfig => ({
  name,
  command: `node checks/${name}.js`,
  timeout: 600_000,
  afterEachCanaryStep: false,
  passEnv: [],
  ...extra,
});

/** The sample plan with only `names`, edited for the case. */
const planWith = (names: string[], edit: (envs: ReturnType<typeof envsOf>) => void) =>
  samplePlan((config) => {
    config.environments = config.environments.filter((e) => names.includes(e.name));
    edit(envsOf(config));
  });
const envsOf = (config: { environments: import('../../common/config-schema').EnvironmentConfig[] }) => Object.fromEntries(config.environments.map((e) => [e.name, e]));

const stepNames = (status: PromotionStatus, name: string) => environment(status, name).steps.map((s) => `${s.name}:${s.state}`);
const position = (calls: ActivityCall[], call: ActivityCall | undefined) => (call ? calls.indexOf(call) : -1);

/** What the stage's event history says its activities were for: the Web UI's and `ferry history`'s view. */
async function activitySummaries(promotionId: string, envName: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(stageWorkflowId(promotionId, envName)).fetchHistory();
  return timelineOf(history).flatMap((e) => (e.kind === 'activity' ? [`${e.name}: ${e.summary ?? ''}`] : []));
}

describe('prepare: checked before anything changes', () => {
  test('every environment is checked after the release is tested and before the first stage, each on its own task queue; each stage checks again', async () => {
    const stub = stubActivities();
    const productionStub = stubActivities();
    const plan = planWith(['dev', 'staging', 'production'], (envs) => {
      envs.production.taskQueue = PRODUCTION_QUEUE;
      envs.production.approval = undefined;
    });
    const productionWorker = await startWorker(env, productionStub.activities, PRODUCTION_QUEUE);
    const { status } = await productionWorker.runUntil(runPromotion(env, stub.activities, plan));

    expect(status.state).toBe('succeeded');
    expect(status.steps.map((s) => `${s.name}:${s.state}`)).toEqual(['resolve:succeeded', 'build:succeeded', 'test:succeeded', 'prepare:succeeded']);
    expect(status.steps[3].detail).toBe(`${plan.artifact} can run in dev, staging, production`);
    // Once before any stage, then again by each stage: dev's right after, production's days later perhaps, on its own worker.
    const checked = stub.callsTo('prepare').map((c) => c.input.environment);
    expect(checked.slice(0, 2).sort()).toEqual(['dev', 'staging']); // at once, so in either order
    expect(checked.slice(2)).toEqual(['dev', 'staging']);
    expect(productionStub.callsTo('prepare').map((c) => c.input.environment)).toEqual(['production', 'production']);
    const firstStageCall = stub.calls.findIndex((c) => c.name === 'migrateDatabase');
    expect(position(stub.calls, stub.callsTo('test')[0])).toBeLessThan(position(stub.calls, stub.callsTo('prepare', 'dev')[0]));
    expect(position(stub.calls, stub.callsTo('prepare', 'staging')[0])).toBeLessThan(firstStageCall);
    expect(productionStub.callsTo('prepare', 'production')[0].input).toEqual(productionStub.callsTo('prepare', 'production')[1].input);
    expect(stub.callsTo('prepare', 'dev')[0].input).toMatchObject({
      environment: 'dev',
      version: plan.artifact,
      source: { sha: plan.sha },
      target: plan.environments[0].target,
      strategy: 'rolling',
      appEnvironment: { secrets: { DATABASE_URL: 'DEV_DATABASE_URL' } },
    });

    expect(stepNames(status, 'dev')).toEqual(['lock:succeeded', 'prepare:succeeded', 'migrate:succeeded', 'deploy:succeeded', 'stabilize:succeeded']);
    const prepare = stub.callsTo('prepare', 'dev');
    expect(position(stub.calls, prepare[1])).toBeLessThan(position(stub.calls, stub.callsTo('migrateDatabase', 'dev')[0]));
    const summaries = await activitySummaries(status.workflowId, 'dev');
    expect(summaries[0]).toBe(`prepare: check that ${plan.artifact} can run in dev`);
    const promotionHistory = await env.client.workflow.getHandle(status.workflowId).fetchHistory();
    expect(timelineOf(promotionHistory).flatMap((e) => (e.kind === 'activity' && e.name === 'prepare' ? [e.summary] : []))).toEqual([
      `check that ${plan.artifact} can run in dev`,
      `check that ${plan.artifact} can run in staging`,
      `check that ${plan.artifact} can run in production`,
    ]);
  });

  test('a later environment that cannot run (a secret unset on production’s worker) ends the promotion before dev changes, naming the environment and the field', async () => {
    const stub = stubActivities();
    const productionStub = stubActivities({
      prepare: async () => {
        throw ApplicationFailure.nonRetryable('secrets.STRIPE_KEY names STRIPE_LIVE_KEY, which is not set on this worker', 'InvalidInput');
      },
    });
    const plan = planWith(['dev', 'staging', 'production'], (envs) => {
      envs.production.taskQueue = PRODUCTION_QUEUE;
    });
    const productionWorker = await startWorker(env, productionStub.activities, PRODUCTION_QUEUE);
    const { status } = await productionWorker.runUntil(runPromotion(env, stub.activities, plan));

    expect(status.state).toBe('failed');
    expect(status.error).toBe('production: secrets.STRIPE_KEY names STRIPE_LIVE_KEY, which is not set on this worker');
    expect(status.steps.at(-1)).toMatchObject({ name: 'prepare', state: 'failed', error: status.error, detail: `${plan.artifact} can run in dev, staging` });
    expect(status.environments.map((e) => [e.name, e.state, e.error])).toEqual([
      ['dev', 'skipped', undefined],
      ['staging', 'skipped', undefined],
      ['production', 'failed', 'secrets.STRIPE_KEY names STRIPE_LIVE_KEY, which is not set on this worker'],
    ]);
    // No stage, no lock, no approval gate, and nothing that changes an environment.
    for (const e of status.environments) {
      expect(e.steps).toEqual([]);
      expect(e.stageWorkflowId).toBeUndefined();
    }
    expect(productionStub.callsTo('prepare')).toHaveLength(1); // never retried
    expect([...stub.calls, ...productionStub.calls].map((c) => c.name)).toEqual(['resolveCommit', 'build', 'test', 'prepare', 'prepare', 'prepare']);
  });

  test('every environment that cannot run is named, not only the first', async () => {
    const stub = stubActivities({
      prepare: async ({ environment }) => {
        if (environment === 'dev') return;
        throw ApplicationFailure.nonRetryable(`target.manifests.path: k8s/overlays/${environment} does not exist at the commit`, 'InvalidInput');
      },
    });
    const plan = planWith(['dev', 'staging', 'production'], () => undefined);
    const { status } = await runPromotion(env, stub.activities, plan);

    expect(status.error).toBe(
      'staging: target.manifests.path: k8s/overlays/staging does not exist at the commit; production: target.manifests.path: k8s/overlays/production does not exist at the commit',
    );
    expect(status.environments.map((e) => e.state)).toEqual(['skipped', 'failed', 'failed']);
    expect(progressMarkdown(status)).toContain('✗ prepare');
  });

  test('an environment an earlier attempt promoted (skipped) is not checked', async () => {
    const stub = stubActivities();
    // after: false — the refs policy (release-policy.test.ts) would ask dev's ledger, which this test does not fill.
    const plan = planWith(['dev', 'staging'], (envs) => {
      envs.staging.after = false;
    });
    plan.environments[0].skip = true;
    const { status } = await runPromotion(env, stub.activities, plan);

    expect(status.state).toBe('succeeded');
    expect(stub.callsTo('prepare').map((c) => c.input.environment)).toEqual(['staging', 'staging']);
    expect(status.steps.at(-1)).toMatchObject({ name: 'prepare', state: 'succeeded', detail: `${plan.artifact} can run in staging` });
  });

  test('a failure in the stage’s own check (the worker changed since) fails the stage with nothing changed: no backup, migration, deploy or undo', async () => {
    let checks = 0;
    const stub = stubActivities({
      prepare: async ({ environment }) => {
        if (environment !== 'dev' || ++checks === 1) return;
        throw ApplicationFailure.nonRetryable('secrets.STRIPE_KEY names STRIPE_TEST_KEY, which is not set on this worker', 'InvalidInput');
      },
    });
    const plan = planWith(['dev', 'staging'], (envs) => {
      envs.dev.backup = true;
    });
    const { status } = await runPromotion(env, stub.activities, plan);

    expect(status.steps.at(-1)).toMatchObject({ name: 'prepare', state: 'succeeded' });
    expect(environment(status, 'dev').state).toBe('failed');
    expect(environment(status, 'dev').error).toBe('secrets.STRIPE_KEY names STRIPE_TEST_KEY, which is not set on this worker');
    expect(step(status, 'dev', 'prepare')).toMatchObject({ state: 'failed', attempts: 1 });
    expect(stepNames(status, 'dev').slice(1)).toEqual(['prepare:failed', 'backup:skipped', 'migrate:skipped', 'deploy:skipped', 'stabilize:skipped']);
    expect(stub.callsTo('prepare', 'dev')).toHaveLength(2); // the stage's is never retried
    for (const name of ['backupDatabase', 'migrateDatabase', 'deploy', 'rollback', 'undoMigrations', 'verify'] as const) {
      expect(stub.callsTo(name)).toEqual([]);
    }
    expect(environment(status, 'staging').state).toBe('skipped');
  });
});

describe('verify: tests against the version just deployed', () => {
  test('rolling: after the deploy and before stabilize, each command in order, with what the activity needs', async () => {
    const stub = stubActivities({ verify: async ({ verify }) => ({ durationMs: verify.name === 'smoke' ? 2_000 : 8_000, url: 'http://127.0.0.1:4000' }) });
    const plan = planWith(['dev', 'production'], (envs) => {
      envs.dev.verify = [verifyOf('smoke', { passEnv: ['SMOKE_TOKEN'] }), verifyOf('e2e', { timeout: 1_200_000 })];
      envs.dev.variables = { LOG_LEVEL: 'debug' };
      envs.production.approval = undefined;
    });
    const { status } = await runPromotion(env, stub.activities, plan);

    expect(environment(status, 'dev').state).toBe('succeeded');
    expect(stepNames(status, 'dev')).toEqual(['lock:succeeded', 'prepare:succeeded', 'migrate:succeeded', 'deploy:succeeded', 'verify:succeeded', 'stabilize:succeeded']);
    expect(step(status, 'dev', 'verify')).toMatchObject({ detail: 'smoke passed in 2s; e2e passed in 8s', attempts: 1 });

    const verifies = stub.callsTo('verify', 'dev');
    expect(verifies.map((c) => c.input.verify)).toEqual([plan.environments[0].verify![0], plan.environments[0].verify![1]]);
    expect(verifies[0].input).toMatchObject({
      promotionId: status.workflowId,
      environment: 'dev',
      version: plan.artifact,
      source: { repo: plan.repo, sha: plan.sha },
      target: plan.environments[0].target,
      appEnvironment: { variables: { LOG_LEVEL: 'debug' } },
    });
    expect(verifies[0].input.canaryWeight).toBeUndefined();
    // Every secret the config names, not only dev's: the worker may hold them all.
    expect(verifies[0].input.secretEnv).toEqual(expect.arrayContaining(['DEV_DATABASE_URL', 'PROD_DATABASE_URL', 'PRODUCTION_WEBHOOK_URL']));
    const deploy = stub.callsTo('deploy', 'dev')[0];
    const firstHealthCheck = stub.callsTo('checkHealth', 'dev')[0];
    expect(position(stub.calls, deploy)).toBeLessThan(position(stub.calls, verifies[0]));
    expect(position(stub.calls, verifies[1])).toBeLessThan(position(stub.calls, firstHealthCheck));

    const summaries = await activitySummaries(status.workflowId, 'dev');
    expect(summaries).toContain(`verify: verify smoke against ${plan.artifact} in dev`);
    expect(summaries).toContain(`verify: verify e2e against ${plan.artifact} in dev`);
    // Production has no verify commands: no step, no call.
    expect(stepNames(status, 'production')).not.toContain('verify:skipped');
    expect(environment(status, 'production').steps.map((s) => s.name)).not.toContain('verify');
    expect(stub.callsTo('verify', 'production')).toEqual([]);
  });

  test('a failing verify rolls the environment back and undoes its migration; the error names the verify and its output', async () => {
    const stub = stubActivities({
      verify: async ({ verify }) => {
        if (verify.name === 'smoke') return { durationMs: 1_000, url: 'http://127.0.0.1:4000' };
        throw ApplicationFailure.nonRetryable('verify e2e failed with exit code 1: last lines:\nPOST /orders → 500\nexpected 201', 'VerifyFailed');
      },
    });
    const plan = planWith(['dev', 'staging'], (envs) => {
      envs.dev.verify = [verifyOf('smoke'), verifyOf('e2e'), verifyOf('perf')];
    });
    const { status } = await runPromotion(env, stub.activities, plan);

    const dev = environment(status, 'dev');
    expect(dev.state).toBe('rolled-back');
    expect(dev.error).toBe('verify e2e failed with exit code 1: last lines:\nPOST /orders → 500\nexpected 201');
    expect(step(status, 'dev', 'verify')).toMatchObject({ state: 'failed', error: dev.error, attempts: 1 });
    expect(stepNames(status, 'dev')).toEqual([
      'lock:succeeded',
      'prepare:succeeded',
      'migrate:succeeded',
      'deploy:succeeded',
      'verify:failed',
      'stabilize:skipped',
      'rollback:succeeded',
      'undo-migration:succeeded',
    ]);
    // Never retried, and the commands after the failing one never run.
    expect(stub.callsTo('verify').map((c) => c.input.verify.name)).toEqual(['smoke', 'e2e']);
    const rollback = stub.callsTo('rollback', 'dev');
    const undo = stub.callsTo('undoMigrations', 'dev');
    expect(rollback).toHaveLength(1);
    expect(undo).toHaveLength(1);
    expect(position(stub.calls, rollback[0])).toBeLessThan(position(stub.calls, undo[0]));
    expect(stub.callsTo('checkHealth', 'dev')).toEqual([]);
    expect(environment(status, 'staging').state).toBe('skipped');
    expect(status.error).toContain('dev: rolled-back: verify e2e failed');

    // `ferry history`: the failed run with its output, and a red bar in the chart.
    const history = await env.client.workflow.getHandle(stageWorkflowId(status.workflowId, 'dev')).fetchHistory();
    const timeline = timelineOf(history);
    expect(timeline.filter((e) => e.kind === 'activity' && e.name === 'verify')).toEqual([
      expect.objectContaining({ summary: `verify smoke against ${plan.artifact} in dev`, environment: 'dev', state: 'completed' }),
      expect.objectContaining({ summary: `verify e2e against ${plan.artifact} in dev`, environment: 'dev', state: 'failed', attempts: 1, failure: expect.stringContaining('POST /orders → 500') }),
    ]);
    const artifact = plan.artifact.replace(':', '#58;');
    expect(mermaidOf('dev', timeline)).toMatch(new RegExp(`\\n {4}verify e2e against ${artifact} in dev :crit, t\\d+, `));
  });

  test('canary with afterEachCanaryStep: against the canary at each weight below 100, then all of them against the promoted version', async () => {
    const stub = stubActivities();
    const plan = planWith(['staging'], (envs) => {
      envs.staging.verify = [verifyOf('smoke', { afterEachCanaryStep: true }), verifyOf('e2e')];
    });
    const { status } = await runPromotion(env, stub.activities, plan);

    expect(environment(status, 'staging').state).toBe('succeeded');
    const verifies = stub.callsTo('verify', 'staging');
    expect(verifies.map((c) => [c.input.verify.name, c.input.canaryWeight])).toEqual([
      ['smoke', 10],
      ['smoke', 50],
      ['smoke', undefined],
      ['e2e', undefined],
    ]);
    // Each round right after its weight is set; the last after the promote.
    const weights = stub.callsTo('setCanaryWeight', 'staging');
    const promote = stub.callsTo('promote', 'staging')[0];
    expect(position(stub.calls, weights[0])).toBeLessThan(position(stub.calls, verifies[0]));
    expect(position(stub.calls, verifies[0])).toBeLessThan(position(stub.calls, weights[1]));
    expect(position(stub.calls, weights[1])).toBeLessThan(position(stub.calls, verifies[1]));
    expect(position(stub.calls, verifies[1])).toBeLessThan(position(stub.calls, promote));
    expect(position(stub.calls, promote)).toBeLessThan(position(stub.calls, verifies[2]));

    expect(step(status, 'staging', 'verify')).toMatchObject({ state: 'succeeded', attempts: 3, detail: 'smoke passed in 2s; e2e passed in 2s' });
    expect(environment(status, 'staging').steps.filter((s) => s.name === 'verify')).toHaveLength(1);
    const summaries = await activitySummaries(status.workflowId, 'staging');
    expect(summaries).toEqual(
      expect.arrayContaining([
        'verify: verify smoke against the canary at 10% in staging',
        'verify: verify smoke against the canary at 50% in staging',
        `verify: verify smoke against ${plan.artifact} in staging`,
        `verify: verify e2e against ${plan.artifact} in staging`,
      ]),
    );
  });

  test('canary: a verify failing at 50% rolls the canary back, and the error says where', async () => {
    const stub = stubActivities({
      verify: async ({ canaryWeight }) => {
        if (canaryWeight === 50) throw ApplicationFailure.nonRetryable('verify smoke failed with exit code 2: last lines:\nboom', 'VerifyFailed');
        return { durationMs: 500, url: 'http://127.0.0.1:4001' };
      },
    });
    const plan = planWith(['staging'], (envs) => {
      envs.staging.verify = [verifyOf('smoke', { afterEachCanaryStep: true })];
    });
    const { status } = await runPromotion(env, stub.activities, plan);

    expect(environment(status, 'staging')).toMatchObject({ state: 'rolled-back', error: 'verify smoke failed with exit code 2: last lines:\nboom' });
    expect(step(status, 'staging', 'verify')).toMatchObject({ state: 'failed', attempts: 2 });
    expect(stub.callsTo('promote', 'staging')).toEqual([]);
    expect(stub.callsTo('rollback', 'staging')).toHaveLength(1);
    expect(stub.callsTo('undoMigrations', 'staging')).toHaveLength(1);
  });

  test('without afterEachCanaryStep a canary is verified once, after the promote', async () => {
    const stub = stubActivities();
    const plan = planWith(['staging'], (envs) => {
      envs.staging.verify = [verifyOf('smoke')];
    });
    const { status } = await runPromotion(env, stub.activities, plan);
    expect(status.state).toBe('succeeded');
    const verifies = stub.callsTo('verify', 'staging');
    expect(verifies.map((c) => c.input.canaryWeight)).toEqual([undefined]);
    expect(position(stub.calls, stub.callsTo('promote', 'staging')[0])).toBeLessThan(position(stub.calls, verifies[0]));
  });

  test('blue-green: against the new colour before the switch, after its analysis', async () => {
    const stub = stubActivities();
    const plan = planWith(['dev'], (envs) => {
      envs.dev.strategy = { kind: 'blue-green', keepPrevious: 60_000 };
      envs.dev.verify = [verifyOf('smoke')];
    });
    const { status } = await runPromotion(env, stub.activities, plan);

    expect(status.state).toBe('succeeded');
    const [verify] = stub.callsTo('verify', 'dev');
    expect(verify.input.canaryWeight).toBeUndefined();
    const idle = stub.callsTo('setCanaryWeight', 'dev')[0];
    const analysis = stub.callsTo('analyze', 'dev')[0];
    const promote = stub.callsTo('promote', 'dev')[0];
    expect(idle.input.weight).toBe(0);
    expect([idle, analysis, verify, promote].map((c) => position(stub.calls, c))).toEqual([idle, analysis, verify, promote].map((c) => position(stub.calls, c)).sort((a, b) => a - b));
    expect(step(status, 'dev', 'verify')).toMatchObject({ state: 'succeeded', detail: 'smoke passed in 2s' });
    expect(await activitySummaries(status.workflowId, 'dev')).toContain(`verify: verify smoke against the new colour ${plan.artifact} in dev`);
  });
});
