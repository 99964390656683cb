import type { EnvironmentLedger, LedgerRelease } from '../../common/ledger';
import { chooseRollbackTarget, commitPrefixSchema, refuseUnsureLedger, rollbackWorkflowId } from '../../common/rollback-plan';
import { promotionWorkflowId } from '../../common/plan';

const sha = (start: string) => start.padEnd(40, '0');
const release = (s: string): LedgerRelease => ({
  sha: sha(s),
  ref: 'main',
  artifact: `shop:${s.slice(0, 7)}`,
  wentLiveAt: '2026-11-30T10:00:00.000Z',
  by: `ferry-shop-${s.slice(0, 7)}`,
  kind: 'promotion',
  approvedBy: [],
});
const ledger = (...shas: string[]): EnvironmentLedger => ({ lockId: 'ferry-lock/shop/dev', app: 'shop', environment: 'dev', releases: shas.map(release), queue: [] });
const refusalOf = (choice: ReturnType<typeof chooseRollbackTarget>) => ('refusal' in choice ? choice.refusal : `chose ${choice.release.sha}`);

test('by default the release before the live one, with the live one as what replaced it', () => {
  const choice = chooseRollbackTarget(ledger('ccc', 'bbb', 'aaa'), 'shop/dev');
  expect(choice).toEqual({ release: release('bbb'), replacedBy: release('ccc') });
});

test('--to picks by prefix, its replacedBy is the release right after it, not the live one', () => {
  expect(chooseRollbackTarget(ledger('ccc', 'bbb', 'aaa1234'), 'shop/dev', 'aaa1234')).toEqual({ release: release('aaa1234'), replacedBy: release('bbb') });
});

test('refusals: no ledger, one release, the live one, a prefix of two, one not in the ledger', () => {
  expect(refusalOf(chooseRollbackTarget(undefined, 'shop/dev'))).toBe('shop/dev has no release in its ledger: nothing to roll back from');
  expect(refusalOf(chooseRollbackTarget(ledger('aaa'), 'shop/dev'))).toBe('shop/dev has had only one release (aaa0000, shop:aaa): nothing to roll back to');
  expect(refusalOf(chooseRollbackTarget(ledger('ccc', 'bbb'), 'shop/dev', 'ccc0000'))).toBe('ccc0000 is the live release of shop/dev (shop:ccc): nothing to roll back');
  expect(refusalOf(chooseRollbackTarget(ledger('ccc', 'abcdef01', 'abcdef02'), 'shop/dev', 'abcdef0'))).toBe(
    'abcdef0 names more than one release of shop/dev (abcdef010000, abcdef020000): give more of the SHA',
  );
  expect(refusalOf(chooseRollbackTarget(ledger('ccc', 'bbb'), 'shop/dev', 'ddd0000'))).toBe(
    'ddd0000 is not one of the last 2 releases of shop/dev in its ledger; to promote it anyway: ferry start --ref ddd0000 --force',
  );
});

test('a release live again after a rollback appears twice: the same SHA twice is one release, not an ambiguity', () => {
  expect(chooseRollbackTarget(ledger('ccc', 'aaa', 'bbb', 'aaa'), 'shop/dev', 'aaa0000')).toEqual({ release: release('aaa'), replacedBy: release('ccc') });
});

test('--to is 7 to 40 hex digits, any case', () => {
  expect(commitPrefixSchema.safeParse('abcdef').success).toBe(false);
  expect(commitPrefixSchema.parse('ABCDEF1')).toBe('abcdef1');
  expect(commitPrefixSchema.safeParse(sha('a') + '0').success).toBe(false);
  expect(commitPrefixSchema.safeParse('main').success).toBe(false);
});

test("a rollback's workflow ID uses slashes, which app names cannot hold: never a promotion of an app named <app>-rollback-<env>", () => {
  expect(rollbackWorkflowId('shop', 'production', sha('1234567abc'))).toBe('ferry-rollback/shop/production/1234567abc00');
  expect(rollbackWorkflowId('shop', 'production', sha('1234567abc'))).not.toBe(promotionWorkflowId('shop-rollback-production', sha('1234567abc')));
  expect(promotionWorkflowId('shop-rollback-production', sha('1234567abc'))).toBe('ferry-shop-rollback-production-1234567');
});

test('an unsure ledger refuses a rollback unless it is an emergency; a sure one, or none, does not', () => {
  const unrecorded = { by: 'ferry-shop-1234567', at: '2026-11-30T10:00:00.000Z', why: 'closed without giving the lock back' };
  const sure: EnvironmentLedger = { lockId: 'ferry-lock/shop/dev', app: 'shop', environment: 'dev', releases: [], queue: [] };
  expect(refuseUnsureLedger({ ...sure, unrecorded }, 'shop/dev', false)).toMatch(
    /^shop\/dev's ledger is not sure what runs: ferry-shop-1234567 left it at 2026-11-30T10:00:00.000Z without a record \(closed without giving the lock back\); check the environment, then roll back with --emergency/,
  );
  expect(refuseUnsureLedger({ ...sure, unrecorded }, 'shop/dev', true)).toBeUndefined();
  expect(refuseUnsureLedger(sure, 'shop/dev', false)).toBeUndefined();
  expect(refuseUnsureLedger(undefined, 'shop/dev', false)).toBeUndefined();
});
