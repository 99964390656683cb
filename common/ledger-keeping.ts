// How an environment's ledger takes a record: the rules, apart from the workflow that keeps them.
import { RELEASES_KEPT, type LedgerAttempt, type LedgerRelease, type LedgerUnrecorded, type ReleaseRecord } from './ledger';

/**
 * The releases a ledger carries through continue-as-new and hands to every query, as JSON.
 * Temporal refuses a payload over 2 MB; the schema's bounds alone would allow 20 releases with
 * 10,000 migrations each, so the oldest releases go first (never the live one) to stay under it,
 * and a live release too large on its own keeps only its newest migrations.
 */
export const LEDGER_RELEASES_MAX_CHARS = 1_000_000;

export interface LedgerEntries {
  /** Newest first: `releases[0]` is live. */
  releases: LedgerRelease[];
  lastAttempt?: LedgerAttempt;
  unrecorded?: LedgerUnrecorded;
}

/**
 * The ledger after `record`: a live release goes first and makes the older try history (and what
 * an unrecorded holder left behind no longer runs); a try that did not go live is the last attempt,
 * and leaves an unrecorded holder's mark: its undo went back to whatever ran before it.
 */
export function withRecord(ledger: LedgerEntries, record: ReleaseRecord): LedgerEntries {
  if (record.outcome === 'not-live') return { releases: ledger.releases, lastAttempt: record.attempt, ...(ledger.unrecorded ? { unrecorded: ledger.unrecorded } : {}) };
  const releases = [fitted(record.release), ...ledger.releases].slice(0, RELEASES_KEPT);
  while (releases.length > 1 && JSON.stringify(releases).length > LEDGER_RELEASES_MAX_CHARS) releases.pop();
  return { releases };
}

/**
 * The live release within the limit on its own: the schema allows it some 3 MB of migration ids,
 * and a lock whose continue-as-new input passes Temporal's limit cannot start over at all. The
 * newest migrations stay (the schema the release left); the older ones are counted.
 */
function fitted(release: LedgerRelease): LedgerRelease {
  const all = release.migrations ?? [];
  if (JSON.stringify([release]).length <= LEDGER_RELEASES_MAX_CHARS) return release;
  const omittedBefore = release.migrationsOmitted ?? 0;
  // Room for the count's digits whatever it turns out to be.
  const bare = JSON.stringify([{ ...release, migrations: [], migrationsOmitted: all.length + omittedBefore }]).length;
  let room = LEDGER_RELEASES_MAX_CHARS - bare;
  let kept = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    const cost = JSON.stringify(all[i]).length + (kept > 0 ? 1 : 0);
    if (cost > room) break;
    room -= cost;
    kept++;
  }
  return { ...release, migrations: all.slice(all.length - kept), migrationsOmitted: omittedBefore + all.length - kept };
}

/** The app and environment of a lock's workflow ID, `ferry-lock/<app>/<env>`. */
export function lockSubject(lockId: string): { app: string; environment: string } {
  const [, app = '', environment = ''] = lockId.split('/');
  return { app, environment };
}
