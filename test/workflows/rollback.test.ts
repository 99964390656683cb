// The rollback workflow on the time-skipping server: its gates (approval, freeze windows, both
// skipped in an emergency) and the ledger read again under the lock. Its undo is in rollback-undo.test.ts.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EnvironmentLedger } from '../../common/ledger';
import { decideUpdate } from '../../common/messages';
import { waitForStatus } from '../helpers/promotions';
import { nextSha } from '../helpers/fixtures';
import { release, runRollback, scenario, stepsOf } from '../helpers/rollbacks';
import { startTimeSkippingServer } from '../helpers/temporal-env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

test('a rollback waits for approval (not from its requester), then reverts the database, deploys the earlier release rolling, and records itself live', async () => {
  const { plan, ledger, live, older } = scenario('production', (p) => {
    p.environment.approval = { ...p.environment.approval!, approvers: ['olivia', 'rita'], preventSelfApproval: true };
  });
  let selfApproval: unknown;
  // The clock stands still until the approvals are in: else the server skips to the gate's 72h deadline.
  const testService = env.connection.testService!;
  await testService.lockTimeSkipping({});
  const { status, stub, recorded, workflowId } = await runRollback(
    env,
    plan,
    () => ledger,
    {},
    async (handle) => {
      try {
        await waitForStatus(handle, (s) => s.environments[0].approval !== undefined, 'waiting for approval');
        selfApproval = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', environment: 'production', approver: 'rita' }] }).catch((e: Error) => e);
        await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', environment: 'production', approver: 'olivia' }] });
      } finally {
        await testService.unlockTimeSkipping({});
      }
    },
  );

  expect(workflowId).toBe(`ferry-rollback/${plan.app}/production/${older.sha.slice(0, 12)}`);
  const refusal: string[] = [];
  for (let e: unknown = selfApproval; e instanceof Error; e = e.cause) refusal.push(e.message);
  expect(refusal.join(' <- ')).toContain('rita wrote or started this release and may not approve it');
  expect(status.state).toBe('succeeded');
  expect(status).toMatchObject({ workflowId, app: plan.app, sha: older.sha, artifact: older.artifact, ref: 'main' });
  expect(stepsOf(status)).toEqual(['approval:succeeded', 'lock:succeeded', 'prepare:succeeded', 'backup:succeeded', 'migrate:succeeded', 'deploy:succeeded', 'stabilize:succeeded']);
  // The database goes back with the live release's down files or, here (restore), the backup taken before the live release migrated.
  const [revert] = stub.callsTo('revertDatabase');
  expect(revert.input).toMatchObject({ source: { sha: older.sha }, live: { sha: live.sha }, restore: live.backupBefore, promotionId: workflowId });
  expect(stub.callsTo('revertDatabase')).toHaveLength(1);
  // Its own backup before it must not prune the one it restores.
  expect(stub.callsTo('backupDatabase').map((c) => c.input.keepBackup)).toEqual([live.backupBefore!.file]);
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
  const { status, stub, recorded } = await runRollback(env, plan, () => ledger);

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
  const { status, stub } = await runRollback(env, plan, () => ledger);

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
      moved === 'live' ? { ...ledger, releases: [release(older.sha, older.artifact, { kind: 'rollback' }), ...ledger.releases] } : { ...ledger, releases: [ledger.releases[0]] };
    const { status, stub, recorded } = await runRollback(env, plan, () => now);

    expect(status.state).toBe('failed');
    expect(status.environments[0].error).toMatch(
      moved === 'live'
        ? /^refused under the lock: [0-9a-f]{40} is the live release of shop\/dev/
        : /^refused under the lock: [0-9a-f]{40} is not one of the last 1 releases of shop\/dev in its ledger; to promote it anyway: ferry start --ref [0-9a-f]{40} --force$/,
    );
    expect(stub.environmentsTouched()).toEqual([]);
    expect(recorded).toEqual([]);
  }
});

test('under the lock, a rollback is refused when another release went live since it was asked for, or when its target is not the ledger’s entry for that SHA', async () => {
  for (const moved of ['overtaken', 'other-artifact', 'other-ref', 'no-replacing'] as const) {
    const { plan, ledger, live, older } = scenario('dev', (p) => {
      if (moved === 'other-artifact') p.target = { ...p.target, artifact: 'evil:latest' };
      if (moved === 'other-ref') p.target = { ...p.target, ref: 'refs/heads/evil' };
      if (moved === 'no-replacing') delete p.replacing;
    });
    const newer = release(nextSha(), 'shop:newer');
    const now: EnvironmentLedger = moved === 'overtaken' ? { ...ledger, releases: [newer, live, older] } : ledger;
    const { status, stub, recorded } = await runRollback(env, plan, () => now);

    expect(status.state).toBe('failed');
    const expected = {
      overtaken: `refused under the lock: ${newer.sha.slice(0, 7)} (shop:newer) went live after the rollback was asked for (it replaced ${live.sha.slice(0, 7)}); ask again if it should still go back; nothing was changed`,
      'other-artifact': `refused under the lock: the ledger has ${older.sha.slice(0, 7)} as shop:older (ref main), not evil:latest (ref main) as the request says; nothing was changed`,
      'other-ref': `refused under the lock: the ledger has ${older.sha.slice(0, 7)} as shop:older (ref main), not shop:older (ref refs/heads/evil) as the request says; nothing was changed`,
      'no-replacing': 'refused under the lock: the request names no live release it replaces (replacing); start it with ferry rollback; nothing was changed',
    }[moved];
    expect(status.environments[0].error).toBe(expected);
    expect(stub.environmentsTouched()).toEqual([]);
    expect(recorded).toEqual([]);
  }
});

test('on a blue-green environment a rollback brings the earlier release up in the idle colour, analyses it without traffic, switches, and keeps the newer colour as long as a promotion does', async () => {
  const { plan, ledger, older } = scenario('production', (p) => {
    p.emergency = true;
    p.environment.strategy = { kind: 'blue-green', keepPrevious: 1_000 };
  });
  const { status, stub, recorded } = await runRollback(env, plan, () => ledger);

  expect(status.state).toBe('succeeded');
  // Not the rolling deploy, which would patch the idle colour while the newer one stays live.
  expect(stub.callsTo('deploy')).toEqual([]);
  expect(
    stub.calls.filter((c) => ['setCanaryWeight', 'analyze', 'promote', 'retirePrevious'].includes(c.name)).map((c) => [c.name, c.input.version, c.input.weight ?? c.input.analysis?.minRequests]),
  ).toEqual([
    ['setCanaryWeight', older.artifact, 0],
    ['analyze', older.artifact, 0],
    ['promote', older.artifact, undefined],
    ['retirePrevious', older.artifact, undefined],
  ]);
  expect(stub.callsTo('setCanaryWeight')[0].input.strategy).toBe('blue-green');
  expect(recorded[0]).toMatchObject({ outcome: 'live', release: { sha: older.sha, kind: 'rollback' } });

  // One that fails after the switch switches back to the live colour (after the database goes forward), not a deploy of the live release over it.
  const failing = scenario('production', (p) => {
    p.emergency = true;
    p.environment.strategy = { kind: 'blue-green', keepPrevious: 1_000 };
  });
  const broken = await runRollback(env, failing.plan, () => failing.ledger, {
    checkHealth: async () => ({ healthy: false, reasons: ['the earlier release answers 500'], metrics: {} }),
  });
  expect(broken.status.environments[0].state).toBe('rolled-back');
  expect(broken.stub.calls.filter((c) => ['revertDatabase', 'promote', 'rollback', 'deploy'].includes(c.name)).map((c) => c.name)).toEqual(['revertDatabase', 'promote', 'revertDatabase', 'rollback']);
  expect(broken.stub.callsTo('rollback')[0].input.version).toBe(failing.older.artifact);
});

test('by restore, a release that replaced the target without a backup before it is refused, nothing changed', async () => {
  const { plan, ledger, live } = scenario('production', (p) => {
    p.emergency = true;
  });
  const { status, stub } = await runRollback(env, plan, () => ({ ...ledger, releases: [{ ...live, backupBefore: undefined }, ledger.releases[1]] }));

  expect(status.state).toBe('failed');
  expect(status.environments[0].error).toMatch(/^refused: production's database is rolled back by restore, but no backup was taken before [0-9a-f]{7} \(shop:live\) migrated; nothing was changed$/);
  expect(stub.environmentsTouched({ ignoring: ['notify'] })).toEqual([]);
  expect(stub.callsTo('notify').map((c) => c.input.event)).toEqual(['failed']);
});

test('with recordRef, a rollback that went live points the environment’s ref at the earlier release; one that did not leaves it', async () => {
  const { plan, ledger, older } = scenario('dev', (p) => {
    p.emergency = true;
    p.recordRef = { ref: 'env/{env}' };
  });
  const { status, stub } = await runRollback(env, plan, () => ledger);
  expect(status.state).toBe('succeeded');
  expect(stub.callsTo('moveRef').map((c) => [c.input.ref, c.input.sha])).toEqual([['env/dev', older.sha]]);
  expect(status.environments[0].steps.at(-1)).toMatchObject({ name: 'record-ref', state: 'succeeded' });

  const failing = scenario('dev', (p) => {
    p.emergency = true;
    p.recordRef = { ref: 'env/{env}' };
  });
  const broken = await runRollback(env, failing.plan, () => failing.ledger, {
    checkHealth: async () => ({ healthy: false, reasons: ['the earlier release answers 500'], metrics: {} }),
  });
  expect(broken.status.environments[0].state).toBe('rolled-back');
  expect(broken.stub.callsTo('moveRef')).toEqual([]);
});

test('a ledger whose last holder was passed over without a record refuses a rollback under the lock, unless it is an emergency', async () => {
  for (const emergency of [false, true]) {
    const { plan, ledger, older } = scenario('dev', (p) => {
      p.emergency = emergency;
    });
    const unsure: EnvironmentLedger = { ...ledger, unrecorded: { by: 'ferry-shop-1234567', at: '2026-11-30T10:00:00.000Z', why: 'unlocked by sam: worker gone' } };
    const { status, stub } = await runRollback(env, plan, () => unsure);
    if (emergency) {
      expect(status.state).toBe('succeeded');
      expect(stub.callsTo('deploy').map((c) => c.input.version)).toEqual([older.artifact]);
    } else {
      expect(status.state).toBe('failed');
      expect(status.environments[0].error).toBe(
        "refused under the lock: shop/dev's ledger is not sure what runs: ferry-shop-1234567 left it at 2026-11-30T10:00:00.000Z without a record " +
          '(unlocked by sam: worker gone); check the environment, then roll back with --emergency, or promote a release there to set the ledger straight',
      );
      expect(stub.environmentsTouched()).toEqual([]);
    }
  }
});
