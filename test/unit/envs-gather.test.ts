// How `ferry envs` copes with what Temporal answers: a namespace that cannot list by Ferry's search
// attributes, a lock answering something that is not a ledger, one environment asked alone. The
// real server is in test/e2e/cli-envs.test.ts; these edges are hard to make a real server show.
import type { Client } from '@temporalio/client';
import { envs } from '../../client/commands/envs';
import { ledger } from '../helpers/ledger-fixtures';

interface FakeTemporal {
  locks: string[];
  answers: Record<string, unknown>;
  waiting?: Error;
  asked: string[];
}

function connectTo(temporal: FakeTemporal) {
  const list = ({ query }: { query: string }) => ({
    async *[Symbol.asyncIterator]() {
      if (query.includes('FerryState')) {
        if (temporal.waiting) throw temporal.waiting;
        return;
      }
      for (const workflowId of temporal.locks) yield { workflowId };
    },
  });
  const client = {
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
    workflow: {
      list,
      getHandle: (id: string) => ({
        query: async () => {
          temporal.asked.push(id);
          return temporal.answers[id];
        },
      }),
    },
  } as unknown as Client;
  return async () => ({ client, close: async () => undefined });
}

async function run(temporal: FakeTemporal, app?: string, env?: string, options: Record<string, unknown> = {}) {
  const out: string[] = [];
  const warned: string[] = [];
  const code = await envs(
    connectTo(temporal),
    app,
    env,
    { config: undefined, ...options },
    (t) => out.push(t),
    (w) => warned.push(w),
  );
  return { code, out: out.join('\n'), warned };
}

const shop = (env: string) => `ferry-lock/shop/${env}`;

test("a namespace without Ferry's search attributes: what runs where is still shown, the missing column is said, exit 1", async () => {
  const temporal = { locks: [shop('dev')], answers: { [shop('dev')]: ledger({}, 'dev') }, waiting: new Error('invalid query: FerryState is not defined'), asked: [] };
  const result = await run(temporal);
  expect(result.code).toBe(1);
  expect(result.out).toMatch(/^shop\s+dev\s+aaaaaaa shop:aaaaaaa\s+\d+[smhd] ago\s+live$/m);
  expect(result.warned).toEqual(['ferry envs: the promotions waiting for approval could not be listed by their search attributes (invalid query: FerryState is not defined)']);
  expect((await run({ ...temporal, waiting: undefined })).code).toBe(0);
});

test("a lock's answer that is not a ledger is shown as unknown, naming the lock, not printed", async () => {
  const forged = { ...ledger({}, 'dev'), releases: [{ sha: 'not-a-sha', evil: '\u001b]52;c;' }] };
  const result = await run({ locks: [shop('dev')], answers: { [shop('dev')]: forged }, asked: [] });
  expect(result.code).toBe(1);
  expect(result.out).toMatch(/^shop\s+dev\s+unknown: ferry-lock\/shop\/dev answered something that is not a ledger/m);
  expect(result.out).not.toContain('not-a-sha');
});

test('one environment: only its lock is asked; an unknown one exits 3 naming those that exist', async () => {
  const temporal: FakeTemporal = { locks: [shop('dev'), shop('production'), 'ferry-lock/api/dev', 'not-a-lock'], answers: { [shop('production')]: ledger() }, asked: [] };
  const result = await run(temporal, 'shop', 'production', { json: true });
  expect(result.code).toBe(0);
  expect(temporal.asked).toEqual([shop('production')]);
  expect(JSON.parse(result.out)).toMatchObject({ lockId: shop('production'), releases: [{ sha: 'a'.repeat(40) }], waitingForApproval: [] });
  const unknown = await run(temporal, 'shop', 'moon').then(
    () => undefined,
    (e: Error & { code: number }) => e,
  );
  expect(unknown).toMatchObject({ code: 3, message: 'app "shop" has no environment "moon": it has dev, production' });
});
