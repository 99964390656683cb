// How an environment's ledger takes a record: the rules, apart from the workflow that keeps them.
import { RELEASES_KEPT, type LedgerAttempt, type LedgerRelease, type LedgerUnrecorded, type ReleaseRecord } from './ledger';

/**
 * The releases a ledger carries through continue-as-new and hands to every query, as JSON.
 * Temporal refuses a payload over 2 MB; the schema's bounds alone would allow 20 releases with
 * 10,000 migrations each, so the oldest releases go first (never the live one) to stay under it.
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
  const releases = [record.release, ...ledger.releases].slice(0, RELEASES_KEPT);
  while (releases.length > 1 && JSON.stringify(releases).length > LEDGER_RELEASES_MAX_CHARS) releases.pop();
  return { releases };
}

/** The app and environment of a lock's workflow ID, `ferry-lock/<app>/<env>`. */
export function lockSubject(lockId: string): { app: string; environment: string } {
  const [, app = '', environment = ''] = lockId.split('/');
  return { app, environment };
}
