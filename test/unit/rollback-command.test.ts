// `ferry rollback`'s refusals before anything starts, against a fake Temporal that answers a lock's
// ledger (the whole command runs end to end in test/e2e/cli-rollback.test.ts). What it would start is captured.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { rollback } from '../../client/commands/rollback';
import type { EnvironmentLedger, LedgerRelease } from '../../common/ledger';
import type { RollbackPlan } from '../../common/rollback-plan';

const sha = (c: string) => c.repeat(40);
const release = (c: string, extra: Partial<LedgerRelease> = {}): LedgerRelease => ({
  sha: sha(c),
  ref: 'main',
  artifact: `shop:${c.repeat(7)}`,
  wentLiveAt: '2026-11-30T10:00:00.000Z',
  by: `ferry-shop-${c.repeat(7)}`,
  kind: 'promotion',
  approvedBy: [],
  ...extra,
});
const backup = { file: '/var/backups/shop/production/x.dump', bytes: 10, sha256: 'ab'.repeat(32) };

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-rollback-cli-'));
  fs.writeFileSync(
    path.join(dir, 'ferry.config.yaml'),
    `app: shop
repo: https://example.com/shop.git
artifact: "shop:{shortSha}"
build: { command: "true" }
environments:
  - name: production
    target: { kind: local, start: "node server.js", port: 8080 }
    database: { urlEnv: PRODUCTION_DATABASE_URL, migrations: migrations, undo: restore }
    backup: true
`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(releases: LedgerRelease[], to?: string) {
  const ledger: EnvironmentLedger = { lockId: 'ferry-lock/shop/production', app: 'shop', environment: 'production', releases, queue: [] };
  const started: Array<{ workflowId: string; plan: RollbackPlan }> = [];
  const client = {
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
    workflow: {
      getHandle: () => ({ query: async () => ledger }),
      start: async (_type: string, options: { workflowId: string; args: [RollbackPlan] }) => {
        started.push({ workflowId: options.workflowId, plan: options.args[0] });
      },
    },
  } as unknown as Client;
  const options = { config: path.join(dir, 'ferry.config.yaml'), env: 'production', as: 'rita', reason: 'checkout errors', ...(to ? { to } : {}) };
  const outcome = await rollback(
    async () => ({ client, close: async () => undefined }),
    'shop',
    options,
    () => undefined,
  ).catch((e: Error & { code?: number }) => e);
  return { outcome, started };
}

test('by restore, a target whose replacing release recorded no backup is refused before anything starts (exit 3)', async () => {
  const { outcome, started } = await run([release('c', { backupBefore: backup }), release('b'), release('a', { backupBefore: backup })], 'a'.repeat(7));
  expect(outcome).toMatchObject({
    code: 3,
    message: `ferry rollback: production's database is rolled back by restore, but no backup was taken before bbbbbbb (shop:bbbbbbb) migrated; nothing was started`,
  });
  expect(started).toEqual([]);
});

test('the request names the live release, not the one after the target, as the release it replaces', async () => {
  const { outcome, started } = await run([release('c', { backupBefore: backup }), release('b', { backupBefore: backup }), release('a')], 'a'.repeat(7));
  expect(outcome).toBe(0);
  expect(started).toHaveLength(1);
  expect(started[0].workflowId).toBe(`ferry-rollback/shop/production/${'a'.repeat(12)}`);
  expect(started[0].plan).toMatchObject({ target: { sha: sha('a'), ref: 'main', artifact: 'shop:aaaaaaa' }, replacing: sha('c') });
});
