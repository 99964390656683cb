// The rollback workflow on the time-skipping server: its gates (approval, freeze windows, both
// skipped in an emergency), the ledger read again under the lock, the stage in revert mode, its
// compensation, and what it hands the environment's ledger. The lock itself is real; the ledger's
// two activities are stubbed with a seeded ledger, and the record is read from the rollback's own
// lockClaims answer, as the lock reads it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LockActivities } from '../../common/activity-contracts';
import type { EnvironmentLedger, LedgerRelease, ReleaseRecord } from '../../common/ledger';
import { abortSignal, decideUpdate, lockClaimsQuery, statusQuery } from '../../common/messages';
import { lockWorkflowId } from '../../common/plan';
import { rollbackWorkflowId, type RollbackPlan } from '../../common/rollback-plan';
import type { PromotionStatus } from '../../common/status';
import { nextSha, samplePlan } from '../helpers/fixtures';
import { retry } from '../../client/commands/retry';
import { HISTORIES_DIR, recordHistories } from '../helpers/histories';
import { REPO_ROOT } from '../helpers/tools';
import { locksSettled, waitForStatus } from '../helpers/promotions';
import { hold, stubActivities, type StubbedActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker, TASK_QUEUE } from '../helpers/temporal-env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

let apps = 0;

function release(sha: string, artifact: string, extra: Partial<LedgerRelease> = {}): LedgerRelease {
  return { sha, ref: 'main', artifact, wentLiveAt: '2026-11-01T10:00:00.000Z', by: `ferry-shop-${sha.slice(0, 7)}`, kind: 'promotion', approvedBy: [], ...extra };
}

/** A fresh app (its own lock) with `older` then `live` promoted to `environment`, and a rollback plan back to `older`. */
function scenario(environment: 'dev' | 'staging' | 'production', edit: (plan: RollbackPlan) => void = () => undefined) {
  const app = `shop${++apps}`;
  const older = release(nextSha(), `${app}:older`);
  const live = release(nextSha(), `${app}:live`, { backupBefore: { file: `/var/backups/${app}/${environment}/newer--run.dump`, bytes: 10, sha256: 'cd'.repeat(32) } });
  const promotion = samplePlan((config) => {
    config.app = app;
  });
  const plan: RollbackPlan = {
    app,
    repo: promotion.repo,
    taskQueue: TASK_QUEUE,
    environment: promotion.environments.find((e) => e.name === environment)!,
    target: { sha: older.sha, ref: older.ref, artifact: older.artifact },
    requestedBy: 'rita',
    reason: 'checkout errors since the last release',
    emergency: false,
  };
  edit(plan);
  const ledger: EnvironmentLedger = { lockId: lockWorkflowId(app, environment), app, environment, releases: [live, older], queue: [] };
  return { plan, ledger, live, older };
}

/** The ledger's activities: `readLedger` answers `ledger`; `recordRelease` reads the record from the holder's own lockClaims. */
function ledgerActivities(ledger: () => EnvironmentLedger | undefined) {
  const recorded: ReleaseRecord[] = [];
  const activities: Pick<LockActivities, 'readLedger' | 'recordRelease'> = {
    readLedger: async () => ledger(),
    recordRelease: async ({ lockId, requester }) => {
      const claims = await env.client.workflow.getHandle(requester.workflowId, requester.runId).query(lockClaimsQuery);
      const record = claims.records?.find((r) => r.lock === lockId)?.record;
      if (record) recorded.push(record);
      return ledger()!;
    },
  };
  return { activities, recorded };
}

async function outcomeOf(handle: WorkflowHandle): Promise<PromotionStatus> {
  try {
    return (await handle.result()) as PromotionStatus;
  } catch (error) {
    const details = (error as { cause?: unknown }).cause;
    if (details instanceof ApplicationFailure && details.details?.[0]) return details.details[0] as PromotionStatus;
    return handle.query(statusQuery);
  }
}

async function runRollback(
  plan: RollbackPlan,
  ledger: () => EnvironmentLedger | undefined,
  overrides: Partial<StubbedActivities> = {},
  during: (handle: WorkflowHandle) => Promise<void> = async () => undefined,
) {
  const stub = stubActivities(overrides);
  const book = ledgerActivities(ledger);
  const worker = await startWorker(env, { ...stub.activities, ...book.activities } as StubbedActivities);
  const workflowId = rollbackWorkflowId(plan.app, plan.environment.name, plan.target.sha);
  const status = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('rollback', { taskQueue: TASK_QUEUE, workflowId, args: [plan] });
    const [status] = await Promise.all([outcomeOf(handle), during(handle)]);
    // The lock checks its holder by an activity after the release: a worker stopped mid-check stalls the test server's clock.
    await locksSettled(env, status);
    await recordHistories(env, handle);
    return status;
  });
  return { status, stub, recorded: book.recorded, workflowId };
}

const stepsOf = (status: PromotionStatus) => status.environments[0].steps.map((s) => `${s.name}:${s.state}`);

test('a rollback waits for approval (not from its requester), then reverts the database, deploys the earlier release rolling, and records itself live', async () => {
  const { plan, ledger, live, older } = scenario('production', (p) => {
    p.environment.approval = { ...p.environment.approval!, approvers: ['olivia', 'rita'], preventSelfApproval: true };
  });
  let selfApproval: unknown;
  // The clock stands still until the approvals are in: else the server skips to the gate's 72h deadline.
  const testService = env.connection.testService!;
  await testService.lockTimeSkipping({});
  const { status, stub, recorded, workflowId } = await runRollback(plan, () => ledger, {}, async (handle) => {
    try {
      await waitForStatus(handle, (s) => s.environments[0].approval !== undefined, 'waiting for approval');
      selfApproval = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', environment: 'production', approver: 'rita' }] }).catch((e: Error) => e);
      await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', environment: 'production', approver: 'olivia' }] });
    } finally {
      await testService.unlockTimeSkipping({});
    }
  });

  expect(workflowId).toBe(`ferry-${plan.app}-rollback-production-${older.sha.slice(0, 7)}`);
  const refusal: string[] = [];
  for (let e: unknown = selfApproval; e instanceof Error; e = e.cause) refusal.push(e.message);
  expect(refusal.join(' <- ')).toContain('rita wrote or started this release and may not approve it');
  expect(status.state).toBe('succeeded');
  expect(status).toMatchObject({ workflowId, app: plan.app, sha: older.sha, artifact: older.artifact, ref: 'main' });
  expect(stepsOf(status)).toEqual([
    'approval:succeeded',
    'lock:succeeded',
    'prepare:succeeded',
    'backup:succeeded',
    'migrate:succeeded',
    'deploy:succeeded',
    'stabilize:succeeded',
  ]);
  // The database goes back with the live release's down files or, here (restore), the backup taken before the live release migrated.
  const [revert] = stub.callsTo('revertDatabase');
  expect(revert.input).toMatchObject({ source: { sha: older.sha }, live: { sha: live.sha }, restore: live.backupBefore, promotionId: workflowId });
  expect(stub.callsTo('revertDatabase')).toHaveLength(1);
  // Production canaries promotions; a rollback is rolling.
  expect(stub.callsTo('deploy').map((c) => [c.input.version, c.input.strategy])).toEqual([[older.artifact, 'rolling']]);
  expect(stub.callsTo('setCanaryWeight')).toHaveLength(0);
  expect(stub.callsTo('migrateDatabase')).toHaveLength(0);
  // Production's webhook hears that it waits, and how it ended.
  expect(stub.callsTo('notify').map((c) => [c.input.event, c.input.promotionId])).toEqual([
    ['approval-waiting', workflowId],
    ['succeeded', workflowId],
  ]);
  expect(recorded).toHaveLength(1);
  expect(recorded[0]).toMatchObject({
    outcome: 'live',
    release: {
      sha: older.sha,
      artifact: older.artifact,
      by: workflowId,
      kind: 'rollback',
      requestedBy: 'rita',
      approvedBy: ['olivia'],
      reason: 'checkout errors since the last release',
      emergency: false,
      migrations: ['001_create_orders'],
      backupBefore: { file: `/var/backups/${workflowId}-production.dump` },
    },
  });
});

test('an emergency rollback skips approval and an open freeze window, and says so in its status and the ledger', async () => {
  const { plan, ledger, older } = scenario('production', (p) => {
    p.emergency = true;
    p.environment.freezeWindows = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '00:00', to: '23:59', timezone: 'UTC', reason: 'always' }];
  });
  const { status, stub, recorded } = await runRollback(plan, () => ledger);

  expect(status.state).toBe('succeeded');
  expect(status.environments[0].steps.slice(0, 3).map((s) => `${s.name}:${s.state}:${s.detail}`)).toEqual([
    'approval:skipped:emergency rollback by rita: approval and freeze windows skipped',
    'lock:succeeded:held',
    'freeze:skipped:emergency: freeze windows do not hold it',
  ]);
  expect(status.environments[0].approval).toBeUndefined();
  expect(stub.callsTo('deploy').map((c) => c.input.version)).toEqual([older.artifact]);
  expect(recorded[0]).toMatchObject({ outcome: 'live', release: { emergency: true, approvedBy: [], kind: 'rollback' } });
});

test('without an emergency, a freeze window holds the rollback until it ends', async () => {
  const now = await env.currentTimeMs();
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const { plan, ledger } = scenario('dev', (p) => {
    p.environment.freezeWindows = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: hhmm(now - 3_600_000), to: hhmm(now + 3_600_000), timezone: 'UTC', reason: 'sale' }];
  });
  const { status, stub } = await runRollback(plan, () => ledger);

  expect(status.state).toBe('succeeded');
  const freeze = status.environments[0].steps.find((s) => s.name === 'freeze')!;
  expect(freeze.state).toBe('succeeded');
  // "to" has minute precision: the window ends within the minute before now + 1h.
  expect(Date.parse(freeze.endedAt!)).toBeGreaterThan(now + 3_600_000 - 60_000);
  expect(freeze.detail).toMatch(/^frozen by .* \(sale\) until /);
  expect(stub.callsTo('deploy')).toHaveLength(1);
});

test('under the lock, a target that has become the live release, or left the ledger, is refused before anything changes', async () => {
  for (const moved of ['live', 'gone'] as const) {
    const { plan, ledger, older } = scenario('dev');
    const now: EnvironmentLedger =
      moved === 'live'
        ? { ...ledger, releases: [release(older.sha, older.artifact, { kind: 'rollback' }), ...ledger.releases] }
        : { ...ledger, releases: [ledger.releases[0]] };
    const { status, stub, recorded } = await runRollback(plan, () => now);

    expect(status.state).toBe('failed');
    expect(status.environments[0].error).toMatch(
      moved === 'live' ? /^refused under the lock: [0-9a-f]{40} is the live release of shop\d+\/dev/ : /^refused under the lock: [0-9a-f]{40} is not one of the last 1 releases of shop\d+\/dev in its ledger; to promote it anyway: ferry start --ref [0-9a-f]{40} --force$/,
    );
    expect(stub.environmentsTouched()).toEqual([]);
    expect(recorded).toEqual([]);
  }
});

test('by restore, a release that replaced the target without a backup before it is refused, nothing changed', async () => {
  const { plan, ledger, live } = scenario('production', (p) => {
    p.emergency = true;
  });
  const { status, stub } = await runRollback(plan, () => ({ ...ledger, releases: [{ ...live, backupBefore: undefined }, ledger.releases[1]] }));

  expect(status.state).toBe('failed');
  expect(status.environments[0].error).toMatch(/^refused: production's database is rolled back by restore, but no backup was taken before [0-9a-f]{7} \(shop\d+:live\) migrated; nothing was changed$/);
  expect(stub.environmentsTouched({ ignoring: ['notify'] })).toEqual([]);
  expect(stub.callsTo('notify').map((c) => c.input.event)).toEqual(['failed']);
});

test('a rollback that fails after the database went back deploys the live release back and migrates forward with its files, and records not-live', async () => {
  const { plan, ledger, live, older } = scenario('dev');
  const { status, stub, recorded, workflowId } = await runRollback(plan, () => ledger, {
    deploy: async ({ version }) => {
      if (version === older.artifact) throw ApplicationFailure.nonRetryable(`${version} never became ready`, 'RolloutFailed');
      return { previousVersion: older.artifact };
    },
  });

  expect(status.state).toBe('failed');
  expect(status.environments[0].state).toBe('rolled-back');
  expect(stepsOf(status)).toEqual([
    'lock:succeeded',
    'prepare:succeeded',
    'migrate:succeeded',
    'deploy:failed',
    'stabilize:skipped',
    'rollback:succeeded',
    'undo-migration:succeeded',
  ]);
  expect(stub.callsTo('deploy').map((c) => c.input.version)).toEqual([older.artifact, live.artifact]);
  expect(stub.callsTo('deploy')[1].input.source.sha).toBe(live.sha);
  expect(stub.callsTo('migrateDatabase').map((c) => c.input.source.sha)).toEqual([live.sha]);
  expect(stub.callsTo('rollback')).toHaveLength(0);
  expect(recorded).toEqual([
    {
      outcome: 'not-live',
      attempt: expect.objectContaining({ sha: older.sha, by: workflowId, kind: 'rollback', outcome: 'rolled-back', error: `${older.artifact} never became ready` }),
    },
  ]);
});

test("a promotion's stage reports for the ledger the backup it took before migrating and schema_migrations afterwards", async () => {
  const promotion = samplePlan();
  const production = promotion.environments.find((e) => e.name === 'production')!;
  const input = (promotionId: string) => ({ promotionId, app: 'shop', source: { repo: promotion.repo, sha: promotion.sha }, artifact: promotion.artifact, environment: production });
  const stub = stubActivities({
    migrateDatabase: async ({ promotionId }) =>
      promotionId.endsWith('older-worker') ? { applied: ['002_add_status'] } : { applied: ['002_add_status'], migrations: ['001_create_orders', '002_add_status'] },
  });
  const worker = await startWorker(env, stub.activities);
  const [reported, fromOlderWorker] = await worker.runUntil(() =>
    Promise.all(
      ['ferry-shop-report', 'ferry-shop-report-older-worker'].map(
        (id) => env.client.workflow.execute('stage', { taskQueue: TASK_QUEUE, workflowId: `${id}-${nextSha().slice(0, 7)}`, args: [input(id)] }) as Promise<PromotionStatus['environments'][0]>,
      ),
    ),
  );

  expect(reported.database).toEqual({
    backupBefore: { file: '/var/backups/ferry-shop-report-production.dump', bytes: 4096, sha256: 'ab'.repeat(32) },
    migrations: ['001_create_orders', '002_add_status'],
  });
  // A worker of older Ferry reports no list: the ledger gets the backup only.
  expect(fromOlderWorker.database).toEqual({ backupBefore: { file: '/var/backups/ferry-shop-report-older-worker-production.dump', bytes: 4096, sha256: 'ab'.repeat(32) } });
});

test('an abort while the earlier release deploys undoes the rollback (live release back, database forward) and records it aborted', async () => {
  const { plan, ledger, live, older } = scenario('dev');
  const held = hold();
  const { status, stub, recorded } = await runRollback(
    plan,
    () => ledger,
    {
      deploy: async ({ version }) => {
        if (version === older.artifact) await held.here();
        return { previousVersion: older.artifact };
      },
    },
    async (handle) => {
      await held.arrived;
      await handle.signal(abortSignal, { by: 'rita', reason: 'wrong release' });
    },
  );

  expect(status.state).toBe('aborted');
  expect(status.abort).toMatchObject({ by: 'rita', reason: 'wrong release' });
  expect(held.wasCancelled()).toBe(true);
  expect(stub.callsTo('deploy').map((c) => c.input.version)).toEqual([older.artifact, live.artifact]);
  expect(stub.callsTo('migrateDatabase').map((c) => c.input.source.sha)).toEqual([live.sha]);
  expect(recorded).toEqual([{ outcome: 'not-live', attempt: expect.objectContaining({ sha: older.sha, outcome: 'aborted', error: 'aborted by rita: wrong release' }) }]);
});

test('ferry replay --file finds a recorded rollback\'s workflow ID from its input; ferry retry refuses a rollback, naming what to use', async () => {
  const recorded = fs.readdirSync(HISTORIES_DIR).find((f) => /__ferry-shop\d+-rollback-dev-[0-9a-f]{7}\.history\.pb$/.test(f));
  expect(recorded).toBeDefined();
  const replayed = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin', 'ferry.js'), 'replay', '--file', path.join(HISTORIES_DIR, recorded!)]);
  expect(replayed.stdout).toMatch(/^ferry-shop\d+-rollback-dev-[0-9a-f]{7}: replays cleanly against the current workflow code\n$/);

  const { plan, ledger } = scenario('dev');
  const { workflowId } = await runRollback(plan, () => ledger, { deploy: async () => Promise.reject(ApplicationFailure.nonRetryable('no', 'RolloutFailed')) });
  const refusal = await retry(async () => ({ client: env.client, close: async () => undefined }), workflowId, {}, () => undefined).catch((e: Error) => e);
  expect(refusal).toMatchObject({ code: 2, message: `${workflowId} is not a promotion: a rollback is asked for again with ferry rollback` });
});
