// Which rules of the refs policy a promotion must check before it enters its environments.
import { afterRefusal, entryChecks, requiredBefore, wentLive } from '../../common/release-order-rules';

const env = (name: string, extra: { after?: string | false; from?: string[]; skip?: boolean } = {}) => ({ name, ...extra });

describe('requiredBefore', () => {
  const envs = [env('dev'), env('staging'), env('production'), env('hotfix', { after: false }), env('eu', { after: 'staging' })];
  test('the one before by default, none for the first, none with after: false, the one named otherwise', () => {
    expect(envs.map((_, i) => requiredBefore(envs, i))).toEqual([undefined, 'dev', 'staging', undefined, 'staging']);
  });
});

describe('entryChecks', () => {
  test('a promotion that runs every environment in order needs no ledger: each after comes first in it', () => {
    expect(entryChecks([env('dev'), env('staging'), env('production')])).toEqual([]);
  });

  test('an after environment an earlier run promoted (skipped now) is checked in its ledger', () => {
    expect(entryChecks([env('dev', { skip: true }), env('staging', { skip: true }), env('production')])).toEqual([{ index: 2, environment: 'production', wentLiveIn: 'staging' }]);
  });

  test('skipped environments are not entered, so nothing is checked for them; from is checked for each one entered', () => {
    expect(entryChecks([env('dev', { from: ['main'], skip: true }), env('staging', { from: ['main', 'release/2026'] }), env('production', { from: ['main'] })])).toEqual([
      { index: 1, environment: 'staging', from: ['main', 'release/2026'], wentLiveIn: 'dev' },
      { index: 2, environment: 'production', from: ['main'] },
    ]);
  });

  test('after: false needs nothing; after naming an earlier skipped environment needs its ledger even when the one just before runs', () => {
    expect(entryChecks([env('dev', { skip: true }), env('staging', { after: false }), env('production', { after: 'dev' })])).toEqual([{ index: 2, environment: 'production', wentLiveIn: 'dev' }]);
  });
});

describe('wentLive and the refusal', () => {
  const sha = 'a'.repeat(40);
  const [b, c] = ['b'.repeat(40), 'c'.repeat(40)];
  const promoted = (of: string) => ({ sha: of, kind: 'promotion' as const });
  const rolledBackTo = (of: string) => ({ sha: of, kind: 'rollback' as const });

  test('never live: no ledger, an empty one, or one without the commit', () => {
    expect(wentLive(undefined, sha)).toBe(false);
    expect(wentLive({ releases: [] }, sha)).toBe(false);
    expect(wentLive({ releases: [promoted(b)] }, sha)).toBe(false);
  });

  test('live now counts, by a promotion or a rollback to it', () => {
    expect(wentLive({ releases: [promoted(sha), promoted(b)] }, sha)).toBe(true);
    expect(wentLive({ releases: [rolledBackTo(sha), promoted(b), promoted(sha)] }, sha)).toBe(true);
  });

  test('replaced by a promotion counts: it went live and the next release took over', () => {
    expect(wentLive({ releases: [promoted(b), promoted(sha)] }, sha)).toBe(true);
    // A later rollback took out the release after it, not this one.
    expect(wentLive({ releases: [rolledBackTo(sha), promoted(c), promoted(sha)] }, sha)).toBe(true);
    expect(wentLive({ releases: [rolledBackTo(b), promoted(c), promoted(sha), promoted(b)] }, sha)).toBe(true);
  });

  test('replaced by a rollback does not count: it was taken out of the environment', () => {
    expect(wentLive({ releases: [rolledBackTo(b), promoted(sha), promoted(b)] }, sha)).toBe(false);
    // Still out once later releases follow the rollback.
    expect(wentLive({ releases: [promoted(c), rolledBackTo(b), promoted(sha), promoted(b)] }, sha)).toBe(false);
  });

  test('promoted again after the rollback, and live then, counts again: the newest entry of the commit decides', () => {
    expect(wentLive({ releases: [promoted(sha), rolledBackTo(b), promoted(sha), promoted(b)] }, sha)).toBe(true);
    expect(wentLive({ releases: [promoted(c), promoted(sha), rolledBackTo(b), promoted(sha), promoted(b)] }, sha)).toBe(true);
    // ... and out again when that one is rolled back too.
    expect(wentLive({ releases: [rolledBackTo(b), promoted(sha), rolledBackTo(b), promoted(sha), promoted(b)] }, sha)).toBe(false);
  });

  test('the refusal names the environment, the rule, the commit and the environment it needs', () => {
    expect(afterRefusal('production', sha, 'staging')).toBe('production.after: commit aaaaaaa never went live in staging, or was rolled back out of it (production takes releases only after staging)');
  });
});
