import { RELEASES_KEPT, releaseRecordSchema, type LedgerRelease } from '../../common/ledger';
import { LEDGER_RELEASES_MAX_CHARS, lockSubject, withRecord } from '../../common/ledger-keeping';
import { promotionRecord, rollbackRecord } from '../../common/release-record';
import type { EnvironmentStatus } from '../../common/status';
import { samplePlan } from '../helpers/fixtures';

const release = (n: number, extra: Partial<LedgerRelease> = {}): LedgerRelease => ({
  sha: n.toString(16).padStart(40, '0'),
  ref: 'main',
  artifact: `shop:${n}`,
  wentLiveAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
  by: `ferry-shop-${n}`,
  kind: 'promotion',
  approvedBy: [],
  ...extra,
});
const attempt = (n: number) => ({ sha: release(n).sha, artifact: `shop:${n}`, at: '2026-01-02T00:00:00.000Z', by: `ferry-shop-${n}`, kind: 'promotion' as const, outcome: 'failed' as const });

describe('withRecord', () => {
  test('a live release whose migrations alone pass the limit keeps the newest that fit and counts the rest, so the lock can always start over with it', () => {
    // The most the schema takes: 10,000 ids of 300 characters, about 3 MB.
    const migrations = Array.from({ length: 10_000 }, (_, i) => `${String(i).padStart(5, '0')}_${'x'.repeat(294)}`);
    expect(releaseRecordSchema.safeParse({ outcome: 'live', release: release(1, { migrations }) }).success).toBe(true);
    const ledger = withRecord({ releases: [release(0)] }, { outcome: 'live', release: release(1, { migrations }) });
    expect(JSON.stringify(ledger.releases).length).toBeLessThanOrEqual(LEDGER_RELEASES_MAX_CHARS);
    expect(ledger.releases[0].artifact).toBe('shop:1'); // the live one, whole but for its oldest migrations
    const [live] = ledger.releases;
    expect(live.migrations!.length + live.migrationsOmitted!).toBe(10_000);
    expect(live.migrations).toEqual(migrations.slice(-live.migrations!.length)); // the newest, oldest first as before
    expect(live.migrations!.length).toBeGreaterThan(3_000); // about 1 MB of them: all that fit
    expect(releaseRecordSchema.safeParse({ outcome: 'live', release: live }).success).toBe(true);
  });

  test('a live release just under the limit keeps every migration and says nothing was left out', () => {
    const bare = JSON.stringify([release(1, { migrations: [] })]).length;
    const id = (i: number) => `${String(i).padStart(5, '0')}_${'y'.repeat(94)}`; // 100 characters, 103 with quotes and comma
    const fitting = Math.floor((LEDGER_RELEASES_MAX_CHARS - bare + 1) / 103);
    const migrations = Array.from({ length: fitting }, (_, i) => id(i));
    expect(JSON.stringify([release(1, { migrations })]).length).toBeLessThanOrEqual(LEDGER_RELEASES_MAX_CHARS);
    expect(withRecord({ releases: [] }, { outcome: 'live', release: release(1, { migrations }) }).releases).toEqual([release(1, { migrations })]);
    // One more does not fit: the oldest goes.
    const over = [...migrations, id(fitting)];
    expect(JSON.stringify([release(1, { migrations: over })]).length).toBeGreaterThan(LEDGER_RELEASES_MAX_CHARS);
    const [trimmed] = withRecord({ releases: [] }, { outcome: 'live', release: release(1, { migrations: over }) }).releases;
    expect(trimmed.migrations![0]).not.toBe(id(0));
    expect(trimmed.migrations!.at(-1)).toBe(id(fitting));
    expect(trimmed.migrations!.length + trimmed.migrationsOmitted!).toBe(fitting + 1);
    expect(JSON.stringify([trimmed]).length).toBeLessThanOrEqual(LEDGER_RELEASES_MAX_CHARS);
  });

  test(`keeps the newest ${RELEASES_KEPT} releases, newest first, and a new live release ends the last attempt`, () => {
    let ledger = { releases: [] as LedgerRelease[] };
    for (let n = 1; n <= RELEASES_KEPT; n++) ledger = withRecord(ledger, { outcome: 'live', release: release(n) });
    expect(ledger.releases).toHaveLength(RELEASES_KEPT);
    const failed = withRecord(ledger, { outcome: 'not-live', attempt: attempt(99) });
    expect(failed).toEqual({ releases: ledger.releases, lastAttempt: attempt(99) });
    const next = withRecord(failed, { outcome: 'live', release: release(RELEASES_KEPT + 1) });
    expect(next.releases.map((r) => r.artifact)).toEqual(Array.from({ length: RELEASES_KEPT }, (_, i) => `shop:${RELEASES_KEPT + 1 - i}`));
    expect(next.lastAttempt).toBeUndefined();
  });

  test('a release that goes live clears the mark of a holder that left without a record; a try that did not go live leaves it', () => {
    const unrecorded = { by: 'ferry-shop-7', at: '2026-01-03T00:00:00.000Z', why: 'unlocked by sre: stuck' };
    const marked = { releases: [release(1)], unrecorded };
    expect(withRecord(marked, { outcome: 'not-live', attempt: attempt(2) })).toEqual({ releases: [release(1)], lastAttempt: attempt(2), unrecorded });
    expect(withRecord(marked, { outcome: 'live', release: release(3) })).toEqual({ releases: [release(3), release(1)] });
  });

  test("drops the oldest releases, never the live one, to keep what it carries under Temporal's payload limit", () => {
    const migrations = Array.from({ length: 2_000 }, (_, i) => `${String(i).padStart(4, '0')}_${'x'.repeat(280)}`);
    let ledger = { releases: [] as LedgerRelease[] };
    for (let n = 1; n <= 5; n++) ledger = withRecord(ledger, { outcome: 'live', release: release(n, { migrations }) });
    const size = JSON.stringify(ledger.releases).length;
    expect(size).toBeLessThanOrEqual(LEDGER_RELEASES_MAX_CHARS);
    expect(ledger.releases.length).toBe(1); // each is ~580,000 characters: two would not fit
    expect(ledger.releases[0].artifact).toBe('shop:5');
  });
});

test('lockSubject reads the app and environment from a lock ID', () => {
  expect(lockSubject('ferry-lock/shop/production')).toEqual({ app: 'shop', environment: 'production' });
});

describe('promotionRecord', () => {
  const plan = samplePlan(() => undefined, { requestedBy: 'ci-bot' });
  const env = (state: EnvironmentStatus['state'], more: Partial<EnvironmentStatus> = {}): EnvironmentStatus => ({ name: 'production', state, steps: [], ...more });

  test('a live release names who approved it (rejections are not approvals) and the database it left', () => {
    const backupBefore = { file: '/var/backups/x.dump', bytes: 10, sha256: 'ab'.repeat(32) };
    const record = promotionRecord(
      plan,
      'ferry-shop-abc1234',
      env('succeeded', {
        approval: {
          required: 1,
          received: [
            { approver: 'mallory', decision: 'reject', at: 't', via: 'signal' },
            { approver: 'olivia', decision: 'approve', at: 't', via: 'update' },
          ],
        },
        database: { migrations: ['001_create_orders'], backupBefore },
      }),
      '2026-01-01T00:00:00.000Z',
    );
    expect(record).toEqual({
      outcome: 'live',
      release: {
        sha: plan.sha,
        ref: 'main',
        artifact: plan.artifact,
        wentLiveAt: '2026-01-01T00:00:00.000Z',
        by: 'ferry-shop-abc1234',
        kind: 'promotion',
        requestedBy: 'ci-bot',
        approvedBy: ['olivia'],
        migrations: ['001_create_orders'],
        backupBefore,
      },
    });
  });

  test("a try that did not go live keeps its outcome, and its error cut to the ledger's 2,000 characters", () => {
    for (const state of ['rolled-back', 'failed', 'aborted'] as const) {
      const record = promotionRecord(plan, 'ferry-shop-abc1234', env(state, { error: 'e'.repeat(5_000) }), 'now');
      expect(releaseRecordSchema.safeParse(record).success).toBe(true);
      expect(record).toMatchObject({ outcome: 'not-live', attempt: { outcome: state, sha: plan.sha } });
      expect(record.outcome === 'not-live' && record.attempt.error!.length).toBe(2_000);
    }
  });

  test('a failed try is "undo-failed" only when a step undoing it failed; one that failed before changing anything is "failed"', () => {
    const step = (name: 'prepare' | 'backup' | 'rollback' | 'undo-migration', state: 'succeeded' | 'failed') => ({ name, state, attempts: 1 });
    const outcomeOf = (steps: ReturnType<typeof step>[]) => {
      const record = promotionRecord(plan, 'ferry-shop-abc1234', env('failed', { steps, error: 'x' }), 'now');
      return record.outcome === 'not-live' ? record.attempt.outcome : record.outcome;
    };
    expect(outcomeOf([step('prepare', 'failed')])).toBe('failed');
    expect(outcomeOf([step('prepare', 'succeeded'), step('backup', 'failed')])).toBe('failed');
    expect(outcomeOf([step('prepare', 'succeeded'), step('rollback', 'failed'), step('undo-migration', 'succeeded')])).toBe('undo-failed');
    expect(outcomeOf([step('prepare', 'succeeded'), step('rollback', 'succeeded'), step('undo-migration', 'failed')])).toBe('undo-failed');
  });

  test('refuses, naming the field, a record the ledger would not take', () => {
    expect(() => promotionRecord({ ...plan, sha: 'not-a-sha' }, 'ferry-shop-x', env('succeeded'), 'now')).toThrow(/release\.sha: must be a full 40-character commit SHA/);
  });
});

describe('rollbackRecord', () => {
  const target = { sha: 'c'.repeat(40), ref: 'main', artifact: 'shop:older' };
  const plan = { target, requestedBy: 'rita', reason: 'checkout errors', emergency: true };
  const env = (state: EnvironmentStatus['state'], more: Partial<EnvironmentStatus> = {}): EnvironmentStatus => ({ name: 'production', state, steps: [], ...more });

  test('a live rollback names who asked, why, and that it was an emergency', () => {
    expect(rollbackRecord(plan, 'ferry-rollback/shop/production/cccccccccccc', env('succeeded'), 't')).toEqual({
      outcome: 'live',
      release: { ...target, wentLiveAt: 't', by: 'ferry-rollback/shop/production/cccccccccccc', kind: 'rollback', requestedBy: 'rita', approvedBy: [], reason: 'checkout errors', emergency: true },
    });
  });

  test('a rollback whose undo failed says so; one refused by its backup step did not change anything', () => {
    const undoFailed = rollbackRecord(plan, 'r', env('failed', { steps: [{ name: 'undo-migration', state: 'failed', attempts: 1 }], error: 'e' }), 't');
    expect(undoFailed).toMatchObject({ outcome: 'not-live', attempt: { kind: 'rollback', outcome: 'undo-failed', error: 'e' } });
    const before = rollbackRecord(plan, 'r', env('failed', { steps: [{ name: 'backup', state: 'failed', attempts: 1 }] }), 't');
    expect(before).toMatchObject({ outcome: 'not-live', attempt: { kind: 'rollback', outcome: 'failed' } });
  });
});
