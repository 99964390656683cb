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
    expect(entryChecks([env('dev', { skip: true }), env('staging', { skip: true }), env('production')])).toEqual([
      { index: 2, environment: 'production', wentLiveIn: 'staging' },
    ]);
  });

  test('skipped environments are not entered, so nothing is checked for them; from is checked for each one entered', () => {
    expect(entryChecks([env('dev', { from: ['main'], skip: true }), env('staging', { from: ['main', 'release/2026'] }), env('production', { from: ['main'] })])).toEqual([
      { index: 1, environment: 'staging', from: ['main', 'release/2026'], wentLiveIn: 'dev' },
      { index: 2, environment: 'production', from: ['main'] },
    ]);
  });

  test('after: false needs nothing; after naming an earlier skipped environment needs its ledger even when the one just before runs', () => {
    expect(entryChecks([env('dev', { skip: true }), env('staging', { after: false }), env('production', { after: 'dev' })])).toEqual([
      { index: 2, environment: 'production', wentLiveIn: 'dev' },
    ]);
  });
});

describe('wentLive and the refusal', () => {
  const sha = 'a'.repeat(40);
  test('a release counts when it is anywhere in the ledger, not only live', () => {
    expect(wentLive({ releases: [{ sha: 'b'.repeat(40) }, { sha }] }, sha)).toBe(true);
    expect(wentLive({ releases: [{ sha: 'b'.repeat(40) }] }, sha)).toBe(false);
    expect(wentLive(undefined, sha)).toBe(false);
  });

  test('the refusal names the environment, the rule, the commit and the environment it needs', () => {
    expect(afterRefusal('production', sha, 'staging')).toBe('production.after: commit aaaaaaa never went live in staging (production takes releases only after staging)');
  });
});
