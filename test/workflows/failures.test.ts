import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { abortSignal, stageStatusQuery, statusQuery } from '../../common/messages';
import { stageWorkflowId } from '../../common/plan';
import type { PromotionStatus } from '../../common/status';
import { samplePlan } from '../helpers/fixtures';
import { environment, runPromotion, step } from '../helpers/promotions';
import { HEALTHY, hold, stubActivities, unhealthy, type ActivityCall } from '../helpers/stub-activities';
import { startTimeSkippingServer } from '../helpers/temporal-env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

const stepStates = (status: PromotionStatus, envName: string) => environment(status, envName).steps.map((s) => `${s.name}:${s.state}`);
const indexOf = (calls: ActivityCall[], call: ActivityCall) => calls.indexOf(call);

/** The saga's undo in `envName`: one rollback, then one migration undo (newest first). */
function expectUndoneNewestFirst(stub: ReturnType<typeof stubActivities>, envName: string) {
  const rollbacks = stub.callsTo('rollback', envName);
  const undos = stub.callsTo('undoMigrations', envName);
  expect(rollbacks).toHaveLength(1);
  expect(undos).toHaveLength(1);
  expect(indexOf(stub.calls, rollbacks[0])).toBeLessThan(indexOf(stub.calls, undos[0]));
  return { rollback: rollbacks[0], undo: undos[0] };
}

/** The sample plan with dev alone: no approval needed when the case is about dev. */
const onlyDev = () =>
  samplePlan((config) => {
    config.environments = config.environments.filter((e) => e.name === 'dev');
  });

/** Fails instead of hanging when a promotion never reaches the point a test waits for. */
function within<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`never saw ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Counts an activity's calls per environment, so a stub can answer the nth call differently. */
function perEnvironmentCounter() {
  const counts = new Map<string, number>();
  return (environmentName: string) => {
    const n = (counts.get(environmentName) ?? 0) + 1;
    counts.set(environmentName, n);
    return n;
  };
}

describe('a stage that fails is undone, and the promotion stops there', () => {
  test('canary analysis failing at 50% in staging rolls staging back and never touches production', async () => {
    const count = perEnvironmentCounter();
    const stub = stubActivities({
      analyze: async ({ environment: name }) => (name === 'staging' && count(name) === 2 ? unhealthy('error rate 12% > 1%') : HEALTHY),
    });
    const plan = samplePlan();
    const { status, handle } = await runPromotion(env, stub.activities, plan);

    // The workflow itself failed, with the stage's reason.
    const description = await handle.describe();
    expect(description.status.name).toBe('FAILED');
    await expect(handle.result()).rejects.toMatchObject({ cause: { message: expect.stringContaining('analysis failed at 50%') } });

    expect(status.state).toBe('failed');
    expect(status.error).toContain('staging: rolled-back: analysis failed at 50%: error rate 12% > 1%');
    expect(status.environments.map((e) => [e.name, e.state])).toEqual([
      ['dev', 'succeeded'],
      ['staging', 'rolled-back'],
      ['production', 'skipped'],
    ]);
    expect(environment(status, 'staging').error).toBe('analysis failed at 50%: error rate 12% > 1%');

    // Staging went to 10%, passed, went to 50%, failed: never promoted.
    expect(stub.callsTo('setCanaryWeight', 'staging').map((c) => c.input.weight)).toEqual([10, 50]);
    expect(stub.callsTo('analyze', 'staging')).toHaveLength(2);
    expect(stub.callsTo('promote', 'staging')).toHaveLength(0);
    expect(stub.callsTo('checkHealth', 'staging')).toHaveLength(0);

    // Compensation: exactly once each, newest first (rollback before undoing the migration), after the failure.
    const { rollback, undo } = expectUndoneNewestFirst(stub, 'staging');
    expect(undo.input.database.undo).toBe('down');
    const failedAnalysis = stub.callsTo('analyze', 'staging')[1];
    expect(indexOf(stub.calls, failedAnalysis)).toBeLessThan(indexOf(stub.calls, rollback));

    // Dev was not undone; production was never touched, not even asked for approval.
    expect(stub.callsTo('rollback', 'dev')).toHaveLength(0);
    expect(stub.callsTo('undoMigrations', 'dev')).toHaveLength(0);
    expect(stub.calls.filter((c) => c.input.environment === 'production').map((c) => c.name)).toEqual(['prepare']); // checked up front only
    expect(stub.environmentsTouched({ ignoring: ['prepare'] })).toEqual(['dev', 'staging']);

    expect(stepStates(status, 'staging')).toEqual(['lock:succeeded', 'prepare:succeeded', 'migrate:succeeded', 'canary:failed', 'stabilize:skipped', 'rollback:succeeded', 'undo-migration:succeeded']);
    expect(step(status, 'staging', 'canary')!.error).toBe('analysis failed at 50%: error rate 12% > 1%');
  });

  test('a health check failing in minute 9 of stabilize is caught in minute 9 and rolls staging back', async () => {
    const count = perEnvironmentCounter();
    const stub = stubActivities({
      checkHealth: async ({ environment: name }) => (name === 'staging' && count(name) === 18 ? unhealthy('/healthz answered 503') : HEALTHY),
    });
    const plan = samplePlan();
    const { status, handle } = await runPromotion(env, stub.activities, plan);

    expect((await handle.describe()).status.name).toBe('FAILED');
    expect(status.state).toBe('failed');
    expect(environment(status, 'staging').state).toBe('rolled-back');
    expect(environment(status, 'staging').error).toBe('health check failed 9m into stabilize: /healthz answered 503');
    expect(status.error).toContain('health check failed 9m into stabilize');

    // Checked every 30 s: the 18th check is the failing one, and nothing is checked after it.
    expect(stub.callsTo('checkHealth', 'staging')).toHaveLength(18);
    const stabilize = step(status, 'staging', 'stabilize')!;
    expect(stabilize.state).toBe('failed');
    expect(Date.parse(stabilize.endedAt!) - Date.parse(stabilize.startedAt!)).toBeGreaterThanOrEqual(9 * 60_000);
    expect(Date.parse(stabilize.endedAt!) - Date.parse(stabilize.startedAt!)).toBeLessThan(10 * 60_000);

    const { rollback } = expectUndoneNewestFirst(stub, 'staging');
    expect(indexOf(stub.calls, stub.callsTo('checkHealth', 'staging')[17])).toBeLessThan(indexOf(stub.calls, rollback));
    expect(stub.callsTo('promote', 'staging')).toHaveLength(1);
    expect(stub.callsTo('rollback', 'dev')).toHaveLength(0);
    expect(stub.calls.filter((c) => c.input.environment === 'production').map((c) => c.name)).toEqual(['prepare']); // checked up front only

    expect(stepStates(status, 'staging')).toEqual([
      'lock:succeeded',
      'prepare:succeeded',
      'migrate:succeeded',
      'canary:succeeded',
      'stabilize:failed',
      'rollback:succeeded',
      'undo-migration:succeeded',
    ]);
  });

  test('an abort while the staging canary goes to 50% aborts the stage, undoes it and stops the promotion', async () => {
    const at50 = hold();
    const undoing = hold();
    let canaryStoppedBeforeUndo: boolean | undefined;
    const stub = stubActivities({
      setCanaryWeight: async ({ environment: name, weight }) => (name === 'staging' && weight === 50 ? at50.here() : undefined),
      rollback: async ({ environment: name }) => {
        if (name !== 'staging') return;
        canaryStoppedBeforeUndo ??= at50.wasCancelled();
        return undoing.here();
      },
    });
    const plan = samplePlan();
    let stageId = '';
    const { status, handle } = await runPromotion(env, stub.activities, plan, async (handle) => {
      try {
        await within(at50.arrived, 'the staging canary going to 50%');
        stageId = stageWorkflowId(handle.workflowId, 'staging');
        await handle.signal(abortSignal, { by: 'sre-sam', reason: 'bad metrics' });
        // The stage cancels the canary activity and waits until it has stopped: only then does it undo.
        await within(at50.cancelled, 'the canary activity hearing of its cancellation');
        await within(undoing.arrived, 'the staging rollback after the abort');
        expect(canaryStoppedBeforeUndo).toBe(true);
        const stageHandle = env.client.workflow.getHandle(stageId);
        const promotionWhileUndoing = await handle.query(statusQuery);
        expect(promotionWhileUndoing.abort).toEqual(expect.objectContaining({ by: 'sre-sam', reason: 'bad metrics' }));
        expect(environment(promotionWhileUndoing, 'staging').state).toBe('running');
        const live = await stageHandle.query(stageStatusQuery);
        expect(live.steps.map((s) => `${s.name}:${s.state}`)).toEqual(['prepare:succeeded', 'migrate:succeeded', 'canary:cancelled', 'stabilize:pending', 'rollback:running']);
        undoing.release();
      } finally {
        // Never leave an activity held: the worker could not shut down and the next test would hang.
        at50.release();
        undoing.release();
      }
    });

    expect(stageId).toBe(`${handle.workflowId}-staging`);
    expect((await handle.describe()).status.name).toBe('FAILED');
    expect((await env.client.workflow.getHandle(stageId).describe()).status.name).toBe('FAILED');

    expect(status.state).toBe('aborted');
    expect(status.abort).toEqual(expect.objectContaining({ by: 'sre-sam', reason: 'bad metrics' }));
    expect(status.error).toContain('aborted by sre-sam: bad metrics');
    expect(status.environments.map((e) => [e.name, e.state])).toEqual([
      ['dev', 'succeeded'],
      ['staging', 'aborted'],
      ['production', 'skipped'],
    ]);
    expect(environment(status, 'staging').error).toBe('aborted by sre-sam: bad metrics');

    // Stopped at 50%: no analysis of it, no promotion, no stabilize; undone newest first.
    expect(stub.callsTo('setCanaryWeight', 'staging').map((c) => c.input.weight)).toEqual([10, 50]);
    expect(stub.callsTo('analyze', 'staging')).toHaveLength(1);
    expect(stub.callsTo('promote', 'staging')).toHaveLength(0);
    expect(stub.callsTo('checkHealth', 'staging')).toHaveLength(0);
    expectUndoneNewestFirst(stub, 'staging');
    expect(stub.callsTo('rollback', 'dev')).toHaveLength(0);
    expect(stub.calls.filter((c) => c.input.environment === 'production').map((c) => c.name)).toEqual(['prepare']); // checked up front only

    expect(stepStates(status, 'staging')).toEqual([
      'lock:succeeded',
      'prepare:succeeded',
      'migrate:succeeded',
      'canary:cancelled',
      'stabilize:skipped',
      'rollback:succeeded',
      'undo-migration:succeeded',
    ]);
  });
});

describe('activity failures follow the retry policies', () => {
  test('a migration that fails twice with a retryable error is retried and the promotion succeeds', async () => {
    let devMigrations = 0;
    const stub = stubActivities({
      migrateDatabase: async ({ environment: name }) => {
        if (name === 'dev' && ++devMigrations <= 2) throw ApplicationFailure.retryable('db busy');
        return { applied: ['001_create_orders'] };
      },
    });
    const { status, handle } = await runPromotion(env, stub.activities, onlyDev());

    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(status.state).toBe('succeeded');
    expect(environment(status, 'dev').state).toBe('succeeded');
    expect(stub.callsTo('migrateDatabase', 'dev')).toHaveLength(3);
    expect(step(status, 'dev', 'migrate')).toEqual(expect.objectContaining({ state: 'succeeded', detail: 'applied 001_create_orders', attempts: 1 }));
    expect(stub.callsTo('deploy', 'dev')).toHaveLength(1);
    expect(stub.callsTo('rollback')).toHaveLength(0);
    expect(stub.callsTo('undoMigrations')).toHaveLength(0);
  });

  test('a non-retryable migration failure is tried once and the migration is undone', async () => {
    const stub = stubActivities({
      migrateDatabase: async ({ environment: name }) => {
        if (name === 'dev') throw ApplicationFailure.nonRetryable('syntax error', 'MigrationFailed');
        return { applied: ['001_create_orders'] };
      },
    });
    const { status, handle } = await runPromotion(env, stub.activities, samplePlan());

    expect((await handle.describe()).status.name).toBe('FAILED');
    expect(status.state).toBe('failed');
    expect(status.error).toContain('syntax error');
    expect(status.environments.map((e) => [e.name, e.state])).toEqual([
      ['dev', 'rolled-back'],
      ['staging', 'skipped'],
      ['production', 'skipped'],
    ]);
    expect(stub.callsTo('migrateDatabase', 'dev')).toHaveLength(1);
    // The undo was registered before the migration ran; the rollback only after it, so it never runs.
    expect(stub.callsTo('undoMigrations', 'dev')).toHaveLength(1);
    expect(stub.callsTo('rollback')).toHaveLength(0);
    expect(stub.callsTo('deploy')).toHaveLength(0);
    expect(stub.environmentsTouched({ ignoring: ['prepare'] })).toEqual(['dev']);
    expect(stepStates(status, 'dev')).toEqual(['lock:succeeded', 'prepare:succeeded', 'migrate:failed', 'deploy:skipped', 'stabilize:skipped', 'undo-migration:succeeded']);
    expect(step(status, 'dev', 'migrate')!.error).toBe('syntax error');
  });

  test('a MigrationFailed error is never retried, even when thrown as retryable (the database policy lists it)', async () => {
    const stub = stubActivities({
      migrateDatabase: async () => {
        throw ApplicationFailure.retryable('duplicate column "total"', 'MigrationFailed');
      },
    });
    const { status } = await runPromotion(env, stub.activities, onlyDev());

    expect(status.state).toBe('failed');
    expect(environment(status, 'dev').state).toBe('rolled-back');
    expect(stub.callsTo('migrateDatabase', 'dev')).toHaveLength(1);
    expect(stub.callsTo('undoMigrations', 'dev')).toHaveLength(1);
  });

  test.each([
    ['thrown as non-retryable', () => ApplicationFailure.nonRetryable('make build exited with code 2: missing module ./cart', 'CommandFailed')],
    // Retryable as thrown, but the commands policy never retries a CommandFailed.
    ['thrown as retryable', () => ApplicationFailure.retryable('make build exited with code 2: missing module ./cart', 'CommandFailed')],
  ])('a build that fails with CommandFailed (%s) is tried once and no environment is touched', async (_, failure) => {
    const stub = stubActivities({
      build: async () => {
        throw failure();
      },
    });
    const { status, handle } = await runPromotion(env, stub.activities, samplePlan());

    expect((await handle.describe()).status.name).toBe('FAILED');
    expect(status.state).toBe('failed');
    expect(status.error).toContain('make build exited with code 2: missing module ./cart');
    expect(stub.callsTo('build')).toHaveLength(1);
    expect(stub.callsTo('test')).toHaveLength(0);
    expect(stub.environmentsTouched()).toEqual([]);
    expect(stub.calls.map((c) => c.name)).toEqual(['resolveCommit', 'build']);
    expect(status.steps.map((s) => `${s.name}:${s.state}`)).toEqual(['resolve:succeeded', 'build:failed']);
    expect(status.environments.every((e) => e.steps.length === 0 && e.state !== 'succeeded')).toBe(true);
  });
});
