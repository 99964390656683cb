// The lock's activities against a real Temporal dev server: what the lock learns about a party
// someone named in a hand-made acquire signal.
import { Client, Connection } from '@temporalio/client';
import type { DevServer } from '../../client/dev/temporal-dev-server';
import { lockActivities } from '../../activities/environment-lock';
import { startTestDevServer } from '../helpers/dev-server';

let server: DevServer;
let connection: Connection;
let client: Client;
beforeAll(async () => {
  server = await startTestDevServer();
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
}, 120_000);
afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

test('a holder named with a run ID that is not one is gone at once, not asked about for ever (the lock would stay with it until an unlock)', async () => {
  const locks = lockActivities(client);
  const ghost = { workflowId: 'ferry-shop-ghost', runId: 'r' };
  await expect(locks.grantLock({ lockId: 'ferry-lock/shop/staging', holder: ghost })).resolves.toBe('gone');
  await expect(locks.checkHolder({ lockId: 'ferry-lock/shop/staging', holder: ghost })).resolves.toEqual({
    holds: false,
    why: 'ferry-shop-ghost (run r) is not a workflow run',
  });
});

test('a well-formed run ID of a workflow that does not exist is gone as well', async () => {
  const locks = lockActivities(client);
  const ghost = { workflowId: 'ferry-shop-ghost', runId: '0f3a1c52-7d4e-4f5a-9b1e-2c3d4e5f6a7b' };
  await expect(locks.grantLock({ lockId: 'ferry-lock/shop/staging', holder: ghost })).resolves.toBe('gone');
});
