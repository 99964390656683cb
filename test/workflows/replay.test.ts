import { Worker } from '@temporalio/worker';
import { loadHistories } from '../helpers/histories';
import { ferryDataConverter } from '../../common/data-converter';
import { workflowBundle } from '../helpers/temporal-env';

/**
 * Recorded promotions replayed against today's workflow code: a change that would break a
 * running promotion (a nondeterministic change not behind patched()) fails here.
 */
test('recorded histories replay against the current workflow code', async () => {
  const histories = loadHistories();
  expect(histories.length).toBeGreaterThanOrEqual(5);
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter: ferryDataConverter }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
});
