// What `ferry envs` says about one environment, from its ledger: the version it runs, since when,
// and what is going on there. Shared by the table, the JSON and the Mermaid chart, so they agree.
import type { EnvironmentLedger, LedgerAttempt, LedgerRelease } from '../../common/ledger';
import { shortSha } from '../../common/plan';

/** What became of asking an environment's lock for its ledger. */
export type LedgerAnswer =
  | { kind: 'ledger'; ledger: EnvironmentLedger }
  /** The config names the environment, but no lock runs for it: nothing was promoted there (or not since its lock ended). */
  | { kind: 'no-lock' }
  /** The lock runs, but no worker answered for it (none polls its task queue, or it timed out). */
  | { kind: 'no-answer'; why: string };

export interface EnvironmentView {
  app: string;
  environment: string;
  lockId: string;
  answer: LedgerAnswer;
  /** Running promotions that wait for approval of this environment. */
  waitingForApproval: string[];
}

/** The kind of state, for colouring: everything fine, something moving, something wrong, not known. */
export type Health = 'live' | 'busy' | 'failed' | 'unknown' | 'empty';

export interface EnvironmentSummary {
  version: string;
  age: string;
  state: string;
  health: Health;
  waiting: string;
}

/** "3h ago": the largest whole unit, which is what a glance needs; the JSON keeps the timestamp. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ago`;
  return `${Math.floor(h / 24)}d ago`;
}

export const versionOf = (release: Pick<LedgerRelease, 'sha' | 'artifact'>) => `${shortSha(release.sha)} ${release.artifact}`;

/**
 * Text from a ledger on one line of a terminal: reasons and errors are anyone's words (a rollback's
 * reason, a command's output), so control characters (a terminal's escape sequences, newlines) go,
 * and a long one is cut.
 */
export function oneLine(text: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The try newer than the live release: it did not go live, and says why. */
export function attemptPhrase(attempt: LedgerAttempt): string {
  const why = attempt.error ? `: ${oneLine(attempt.error, 60)}` : '';
  switch (attempt.outcome) {
    case 'rolled-back':
      return `${shortSha(attempt.sha)} rolled back${why}`;
    case 'aborted':
      return `${shortSha(attempt.sha)} aborted, undone${why}`;
    case 'failed':
      // Failed before it changed anything (prepare, backup): the live release runs as it did.
      return `${shortSha(attempt.sha)} failed before any change${why}`;
    case 'undo-failed':
      // The undo itself failed: the environment may run neither release cleanly.
      return `failed: undo of ${shortSha(attempt.sha)} failed${why}`;
  }
}

export function summarize(view: EnvironmentView, now: number): EnvironmentSummary {
  const waiting = view.waitingForApproval.join(', ');
  if (view.answer.kind === 'no-lock') return { version: '', age: '', state: 'no release yet', health: 'empty', waiting };
  if (view.answer.kind === 'no-answer') return { version: '', age: '', state: `unknown: ${oneLine(view.answer.why, 80)}`, health: 'unknown', waiting };
  const { releases, lastAttempt, unrecorded, holder, queue } = view.answer.ledger;
  const live = releases[0];
  const parts: string[] = [];
  let health: Health = live ? 'live' : 'empty';
  if (lastAttempt) {
    parts.push(attemptPhrase(lastAttempt));
    if (lastAttempt.outcome === 'undo-failed') health = 'failed';
  } else if (live) parts.push(live.kind === 'rollback' ? 'rolled back' : 'live');
  else parts.push('no release yet');
  // A holder left without a record: it may have changed what runs there.
  if (unrecorded) {
    parts.push(`not sure: ${unrecorded.by} left without a record (${oneLine(unrecorded.why, 60)})`);
    if (health !== 'failed') health = 'unknown';
  }
  if (holder) {
    parts.push(`deploying ${holder}`);
    if (health !== 'failed') health = 'busy';
  }
  if (queue.length > 0) parts.push(`${queue.length} queued`);
  return {
    version: live ? versionOf(live) : '',
    age: live ? ago(now - Date.parse(live.wentLiveAt)) : '',
    state: parts.join('; '),
    health,
    waiting,
  };
}
