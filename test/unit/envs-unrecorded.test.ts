// `ferry envs` on a ledger whose last holder left without a record: the live release shown may
// not be what runs, and the state says who left it so and why.
import { summarize } from '../../client/envs/summary';
import { NOW, release, view } from '../helpers/ledger-fixtures';

const unrecorded = { by: 'ferry-shop-ccccccc', at: new Date(NOW).toISOString(), why: 'unlocked by sre: stuck' };

test('an unrecorded holder: the live release is still shown, the state says it may not run there, the health is unknown', () => {
  expect(summarize(view({ unrecorded }), NOW)).toMatchObject({
    version: 'aaaaaaa shop:aaaaaaa',
    state: 'live; not sure: ferry-shop-ccccccc left without a record (unlocked by sre: stuck)',
    health: 'unknown',
  });
});

test('with no release yet as well', () => {
  expect(summarize(view({ releases: [], unrecorded }), NOW)).toMatchObject({
    version: '',
    state: 'no release yet; not sure: ferry-shop-ccccccc left without a record (unlocked by sre: stuck)',
    health: 'unknown',
  });
  expect(summarize(view({ releases: [release()] }), NOW).state).toBe('live');
});
