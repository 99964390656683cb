// The ledger against what really runs: the real Ferry worker promotes the example shop to staging
// on the local target with a real PostgreSQL, and after each promotion the ledger of staging is
// checked against the local target's own state (its processes) and the database's schema_migrations.
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { stopLocalEnvironment } from '../../activities/targets/local/local-target';
import type { FerryConfig } from '../../common/config-schema';
import { ledgerQuery, type EnvironmentLedger } from '../../common/ledger';
import { parseConfig } from '../../common/parse-config';
import { buildPlan, lockWorkflowId } from '../../common/plan';
import type { PromotionStatus } from '../../common/status';
import { removeTempDirs, tempDir } from '../helpers/git-repo';
import { migrationRows, startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { environment, locksSettled, outcome, startPromotion } from '../helpers/promotions';
import { freePort, shopRepo, startTraffic } from '../helpers/shop';
import { askAgain } from '../helpers/lock-queries';
import { startFerryWorker, startTimeSkippingServer } from '../helpers/temporal-env';

const { repo, shas } = shopRepo();
const stateDir = tempDir('ledger-environments');
const DATABASE_VARIABLE = 'FERRY_IT_LEDGER_DATABASE_URL';
let env: TestWorkflowEnvironment;
let postgres: TestPostgres;
let config: FerryConfig;
let databaseUrl: string;

beforeAll(async () => {
  [env, postgres] = await Promise.all([startTimeSkippingServer(), startTestPostgres()]);
  databaseUrl = await postgres.createDatabase();
  process.env[DATABASE_VARIABLE] = databaseUrl;
  config = parseConfig(fs.readFileSync(path.join(__dirname, '../../examples/shop/ferry.config.yaml'), 'utf8'), 'examples/shop/ferry.config.yaml');
  config.repo = repo.dir;
  // Staging alone: a canary under traffic, an end-to-end test at every step, and a database.
  const staging = config.environments.find((e) => e.name === 'staging')!;
  if (staging.target.kind !== 'local' || !staging.database) throw new Error('the example shop changed: staging is no longer local with a database');
  config.environments = [{ ...staging, target: { ...staging.target, port: await freePort(), metricsPort: undefined }, database: { ...staging.database, urlEnv: DATABASE_VARIABLE } }];
});

afterAll(async () => {
  for (const e of config?.environments ?? []) {
    if (e.target.kind === 'local') await stopLocalEnvironment(e.target, { stateDir, app: 'shop', environment: e.name });
  }
  await Promise.all([env?.teardown(), postgres?.stop()]);
  delete process.env[DATABASE_VARIABLE];
  removeTempDirs();
});

const stagingUrl = () => {
  const target = config.environments[0].target;
  return `http://127.0.0.1:${target.kind === 'local' ? target.port : 0}/`;
};

/** What the local target says runs in staging, from its own state file: the stable version, and whether its process is alive. */
function localState(): { sha?: string; version?: string; alive: boolean; canary: boolean } {
  const state = JSON.parse(fs.readFileSync(path.join(stateDir, 'shop', 'staging', 'state.json'), 'utf8'));
  const alive = (pid: number | undefined) => {
    try {
      return pid !== undefined && process.kill(pid, 0);
    } catch {
      return false;
    }
  };
  return { sha: state.stable?.sha, version: state.stable?.version, alive: alive(state.stable?.pid), canary: state.canary !== undefined };
}

test("after a release and a failed one, staging's ledger names exactly what the local target runs and what the database holds", async () => {
  const worker = await startFerryWorker(env, stateDir);
  const lock = env.client.workflow.getHandle(lockWorkflowId('shop', 'staging'));
  const promote = async (sha: string): Promise<{ status: PromotionStatus; ledger: EnvironmentLedger }> => {
    const traffic = startTraffic(stagingUrl());
    try {
      const status = await outcome(await startPromotion(env, buildPlan(config, { sha, ref: 'main', requestedBy: 'ci-bot' })));
      await locksSettled(env, status);
      return { status, ledger: await askAgain(env, () => lock.query(ledgerQuery)) };
    } finally {
      await traffic.stop();
    }
  };
  // One worker for all: the test server's open locks end with it (see startWorker).
  const { spring, summer, broken } = await worker.runUntil(async () => ({
    spring: await promote(shas.spring),
    summer: await promote(shas.summer),
    broken: await promote(shas.broken),
  }));

  expect(spring.status.state).toBe('succeeded');
  expect(summer.status.state).toBe('succeeded');
  expect(environment(broken.status, 'staging').state).toBe('rolled-back');

  // What runs: summer, by its own state file and by what the proxy answers.
  const running = localState();
  expect(running).toMatchObject({ sha: shas.summer, version: `shop:${shas.summer.slice(0, 7)}`, alive: true, canary: false });
  expect(await (await fetch(`${stagingUrl()}version`)).json()).toMatchObject({ commit: shas.summer });
  // What the database holds.
  const applied = (await migrationRows(databaseUrl)).map((row) => row.id);
  expect(applied).toEqual(['001_create_orders', '002_add_order_status']);

  // The ledger says the same: summer live, spring before it, the broken release the last attempt.
  const ledger = broken.ledger;
  expect(ledger.releases.map((r) => [r.sha, r.artifact, r.by])).toEqual([
    [shas.summer, `shop:${shas.summer.slice(0, 7)}`, summer.status.workflowId],
    [shas.spring, `shop:${shas.spring.slice(0, 7)}`, spring.status.workflowId],
  ]);
  expect(ledger.releases[0].migrations).toEqual(applied);
  expect(ledger.lastAttempt).toMatchObject({ sha: shas.broken, outcome: 'rolled-back', by: broken.status.workflowId });
  expect(ledger.lastAttempt!.error).toBe(environment(broken.status, 'staging').error);
  // Before the failed one, the ledger named summer too, and no attempt.
  expect(summer.ledger.releases[0].sha).toBe(shas.summer);
  expect(summer.ledger.lastAttempt).toBeUndefined();
});
