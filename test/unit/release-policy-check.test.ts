// ferry start's early check of `after`: the lock's answer to the ledger query is a boundary, parsed
// before it decides anything. The client is a stand-in that answers the query as told.
import type { Client } from '@temporalio/client';
import { policyRefusals } from '../../client/release-policy-check';
import { lockWorkflowId } from '../../common/plan';
import { samplePlan } from '../helpers/fixtures';

/** Production alone, staging promoted by an earlier run: only staging's ledger decides. */
const plan = samplePlan(
  (config) => {
    config.app = 'shop';
    for (const env of config.environments) delete env.from;
  },
  { skip: ['dev', 'staging'] },
);

const answering = (ledger: unknown) => {
  const asked: string[] = [];
  const client = {
    withDeadline: (_deadline: number, call: () => Promise<unknown>) => call(),
    workflow: { getHandle: (id: string) => ({ query: async () => (asked.push(id), ledger) }) },
  } as unknown as Client;
  return { client, asked };
};

const staging = (releases: unknown[]) => ({ lockId: lockWorkflowId('shop', 'staging'), app: 'shop', environment: 'staging', releases, queue: [] });
const release = (sha: string) => ({ sha, ref: 'main', artifact: `shop:${sha.slice(0, 7)}`, wentLiveAt: '2026-01-01T00:00:00.000Z', by: 'ferry-shop-1', kind: 'promotion', approvedBy: [] });

test('a ledger that lists the commit lets it in; one that does not refuses it', async () => {
  const listed = answering(staging([release(plan.sha)]));
  expect(await policyRefusals(listed.client, plan)).toEqual([]);
  expect(listed.asked).toEqual([lockWorkflowId('shop', 'staging')]);
  expect(await policyRefusals(answering(staging([release('b'.repeat(40))])).client, plan)).toEqual([expect.stringMatching(/^production\.after: commit /)]);
});

test('an answer that is not a ledger (unbounded, or not one at all) is not taken for one: ferry start fails naming the lock', async () => {
  const lockId = lockWorkflowId('shop', 'staging');
  const tooMany = staging(Array.from({ length: 21 }, () => release(plan.sha)));
  await expect(policyRefusals(answering(tooMany).client, plan)).rejects.toThrow(`${lockId} answered something that is not a ledger`);
  await expect(policyRefusals(answering({ releases: 'all of them' }).client, plan)).rejects.toThrow(`${lockId} answered something that is not a ledger`);
  await expect(policyRefusals(answering(staging([{ ...release(plan.sha), sha: plan.sha, extra: 'x'.repeat(100_000) }])).client, plan)).rejects.toMatchObject({ code: 1 });
});
