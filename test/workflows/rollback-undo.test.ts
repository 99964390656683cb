// The rollback workflow on the time-skipping server: the stage in revert mode undone when it
// fails or is aborted, what it hands the environment's ledger, what a promotion's stage reports
// for it, and the CLI's replay and retry of a rollback.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { retry } from '../../client/commands/retry';
import { abortSignal } from '../../common/messages';
import type { PromotionStatus } from '../../common/status';
import { nextSha, samplePlan } from '../helpers/fixtures';
import { HISTORIES_DIR } from '../helpers/histories';
import { runRollback, scenario, stepsOf } from '../helpers/rollbacks';
import { hold, stubActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker, TASK_QUEUE } from '../helpers/temporal-env';
import { REPO_ROOT } from '../helpers/tools';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingServer();
});
afterAll(() => env?.teardown());

test('a rollback that fails after the database went back deploys the live release back and migrates forward with its files, and records not-live', async () => {
  const { plan, ledger, live, older } = scenario('dev');
  const { status, stub, recorded, workflowId } = await runRollback(env, plan, () => ledger, {
    deploy: async ({ version }) => {
      if (version === older.artifact) throw ApplicationFailure.nonRetryable(`${version} never became ready`, 'RolloutFailed');
      return { previousVersion: older.artifact };
    },
  });

  expect(status.state).toBe('failed');
  expect(status.environments[0].state).toBe('rolled-back');
  expect(stepsOf(status)).toEqual(['lock:succeeded', 'prepare:succeeded', 'migrate:succeeded', 'deploy:failed', 'stabilize:skipped', 'undo-migration:succeeded', 'rollback:succeeded']);
  // The database forward first: the live release, deployed back, needs its own schema.
  expect(stub.calls.filter((c) => ['revertDatabase', 'deploy', 'migrateDatabase'].includes(c.name)).map((c) => `${c.name}:${c.input.version ?? c.input.source.sha}`)).toEqual([
    `revertDatabase:${older.sha}`,
    `deploy:${older.artifact}`,
    `migrateDatabase:${live.sha}`,
    `deploy:${live.artifact}`,
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
  const production = { ...promotion.environments.find((e) => e.name === 'production')!, strategy: { kind: 'rolling' as const }, stabilize: 2_000, healthCheckInterval: 1_000 };
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
    env,
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

test("ferry replay --file finds a recorded rollback's workflow ID from its input; ferry retry refuses a rollback, naming what to use", async () => {
  const recorded = fs.readdirSync(HISTORIES_DIR).find((f) => /__ferry-shop-rollback-dev-[0-9a-f]{7}\.history\.pb$/.test(f));
  expect(recorded).toBeDefined();
  const replayed = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin', 'ferry.js'), 'replay', '--file', path.join(HISTORIES_DIR, recorded!)]);
  expect(replayed.stdout).toMatch(/^ferry-shop-rollback-dev-[0-9a-f]{7}: replays cleanly against the current workflow code\n$/);

  const { plan, ledger } = scenario('dev');
  const { workflowId } = await runRollback(env, plan, () => ledger, { deploy: async () => Promise.reject(ApplicationFailure.nonRetryable('no', 'RolloutFailed')) });
  const refusal = await retry(
    async () => ({ client: env.client, close: async () => undefined }),
    workflowId,
    {},
    () => undefined,
  ).catch((e: Error) => e);
  expect(refusal).toMatchObject({ code: 2, message: `${workflowId} is not a promotion: a rollback is asked for again with ferry rollback` });
});

test('a rollback that went live but could not be recorded succeeds, and its status says the ledger lacks it', async () => {
  const { plan, ledger, live, older } = scenario('dev');
  const { status } = await runRollback(env, plan, () => ledger, { recordRelease: async () => Promise.reject(ApplicationFailure.nonRetryable('the lock refused the record', 'InvalidInput')) });

  expect(status.state).toBe('succeeded');
  expect(status.error).toBe(`${live.artifact} replaced by ${older.artifact}, but not recorded in ferry-lock/${plan.app}/dev's ledger: the lock refused the record`);
});
