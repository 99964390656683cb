// `ferry envs`' reading of a ledger: the version, its age and the state each output shows.
import { orderViews } from '../../client/envs/order';
import { ago, oneLine, summarize, type EnvironmentView } from '../../client/envs/summary';
import { attempt, hoursAgo, NOW, release, view } from '../helpers/ledger-fixtures';

describe('age', () => {
  test.each([
    [0, '0s ago'],
    [59_999, '59s ago'],
    [60_000, '1m ago'],
    [3_599_999, '59m ago'],
    [3_600_000, '1h ago'],
    [47 * 3_600_000 + 3_599_000, '47h ago'],
    [48 * 3_600_000, '2d ago'],
    // A clock behind the server's: never "-5s ago".
    [-5_000, '0s ago'],
  ])('%i ms is %s', (ms, text) => expect(ago(ms)).toBe(text));
});

describe('state', () => {
  test('the live release by a promotion: version, age, live', () => {
    expect(summarize(view(), NOW)).toEqual({ version: 'aaaaaaa shop:aaaaaaa', age: '3h ago', state: 'live', health: 'live', waiting: '' });
  });

  test('a live release a rollback brought back says so', () => {
    expect(summarize(view({ releases: [release({ kind: 'rollback', reason: 'bad release' })] }), NOW).state).toBe('rolled back');
  });

  test('a newer try that was rolled back, aborted, or whose undo failed: the live release is still the version shown', () => {
    const rolledBack = summarize(view({ lastAttempt: attempt({ error: 'healthz answered 500' }) }), NOW);
    expect(rolledBack).toMatchObject({ version: 'aaaaaaa shop:aaaaaaa', state: 'bbbbbbb rolled back: healthz answered 500', health: 'live' });
    expect(summarize(view({ lastAttempt: attempt({ outcome: 'aborted' }) }), NOW).state).toBe('bbbbbbb aborted, undone');
    const undoFailed = summarize(view({ lastAttempt: attempt({ outcome: 'undo-failed', error: 'down migration 0002 failed' }) }), NOW);
    expect(undoFailed).toMatchObject({ state: 'failed: undo of bbbbbbb failed: down migration 0002 failed', health: 'failed' });
    // Failed before it changed anything (prepare, backup): the environment is fine.
    const before = summarize(view({ lastAttempt: attempt({ outcome: 'failed', error: 'SHOP_TOKEN is not set' }) }), NOW);
    expect(before).toMatchObject({ version: 'aaaaaaa shop:aaaaaaa', state: 'bbbbbbb failed before any change: SHOP_TOKEN is not set', health: 'live' });
  });

  test('a holder deploys and others queue; a failed undo stays the health that shows', () => {
    expect(summarize(view({ holder: 'ferry-shop-ccccccc', queue: ['ferry-shop-ddddddd', 'ferry-shop-eeeeeee'] }), NOW)).toMatchObject({
      state: 'live; deploying ferry-shop-ccccccc; 2 queued',
      health: 'busy',
    });
    expect(summarize(view({ holder: 'ferry-shop-ccccccc', lastAttempt: attempt({ outcome: 'undo-failed' }) }), NOW).health).toBe('failed');
    expect(summarize(view({ releases: [], queue: ['ferry-shop-ddddddd'] }), NOW)).toMatchObject({ version: '', age: '', state: 'no release yet; 1 queued', health: 'empty' });
  });

  test('no lock, or no answer from it', () => {
    expect(summarize({ ...view(), answer: { kind: 'no-lock' }, waitingForApproval: ['ferry-shop-fffffff'] }, NOW)).toEqual({
      version: '',
      age: '',
      state: 'no release yet',
      health: 'empty',
      waiting: 'ferry-shop-fffffff',
    });
    const unknown = summarize({ ...view(), answer: { kind: 'no-answer', why: 'no worker answered ferry-lock/shop/production' } }, NOW);
    expect(unknown).toMatchObject({ state: 'unknown: no worker answered ferry-lock/shop/production', health: 'unknown' });
  });

  test("anyone's words (an error, a reason) reach a terminal on one line, without escape sequences, cut at the bound", () => {
    expect(oneLine('first\nsecond\r\n\u001b[31mred\u001b[0m\u0007')).toBe('first second [31mred [0m');
    expect(oneLine('x'.repeat(80), 80)).toBe('x'.repeat(80));
    expect(oneLine('x'.repeat(81), 80)).toBe(`${'x'.repeat(79)}…`);
    const long = summarize(view({ lastAttempt: attempt({ error: `line one\n${'y'.repeat(500)}` }) }), NOW).state;
    expect(long).not.toContain('\n');
    expect(long.length).toBeLessThan(100);
  });
});

describe('order', () => {
  const first = (h: number) => [release({ wentLiveAt: hoursAgo(1) }), release({ wentLiveAt: hoursAgo(h) })];
  const views = [
    view({ releases: first(5) }, 'production'),
    view({ releases: first(9) }, 'staging'),
    view({ releases: first(30) }, 'dev'),
    view({ releases: [] }, 'preview'),
    view({ releases: first(1) }, 'dev', 'api'),
  ];
  const names = (vs: EnvironmentView[]) => vs.map((v) => `${v.app}/${v.environment}`);

  test('without a config: apps by name, environments by when the oldest release they keep went live, those without one last', () => {
    expect(names(orderViews(views))).toEqual(['api/dev', 'shop/dev', 'shop/staging', 'shop/production', 'shop/preview']);
  });

  test("with the app's config: its order, then what it does not list; other apps as before", () => {
    const ordered = orderViews(views, { app: 'shop', environments: ['preview', 'production', 'staging'] });
    expect(names(ordered)).toEqual(['api/dev', 'shop/preview', 'shop/production', 'shop/staging', 'shop/dev']);
  });
});
