// `ferry envs` for people: the matrix of apps × environments, and one environment's releases.
import type { EnvironmentLedger, LedgerAttempt, LedgerRelease } from '../../common/ledger';
import { shortSha } from '../../common/plan';
import { formatTable } from '../status-table';
import { ago, oneLine, summarize, type EnvironmentView } from './summary';

export function matrixTable(views: EnvironmentView[], now: number): string {
  const rows = views.map((view) => {
    const s = summarize(view, now);
    return [view.app, view.environment, s.version, s.age, s.state, s.waiting].map((cell) => oneLine(cell, 160));
  });
  return formatTable([['APP', 'ENVIRONMENT', 'VERSION', 'AGE', 'STATE', 'WAITING FOR APPROVAL'], ...rows]);
}

const when = (at: string, now: number) => `${at} (${ago(now - Date.parse(at))})`;

function reasonOf(release: LedgerRelease): string {
  const reason = release.reason ? oneLine(release.reason, 60) : '';
  return release.emergency ? `${reason} (emergency)`.trim() : reason;
}

function releaseRow(release: LedgerRelease, now: number): string[] {
  return [
    shortSha(release.sha),
    release.artifact,
    release.kind,
    when(release.wentLiveAt, now),
    release.by,
    release.requestedBy ?? '',
    release.approvedBy.join(', '),
    reasonOf(release),
    release.migrations === undefined ? '' : String(release.migrations.length),
  ].map((cell) => oneLine(cell, 120));
}

export function attemptLine(attempt: LedgerAttempt, now: number): string {
  const error = attempt.error ? `: ${oneLine(attempt.error, 300)}` : '';
  return oneLine(`last failed attempt: ${shortSha(attempt.sha)} ${attempt.artifact} (${attempt.kind} ${attempt.by}) at ${when(attempt.at, now)} ${attempt.outcome}`, 600) + error;
}

/** One environment: who holds it, its releases newest first (the first is live), and the last try that did not go live. */
export function releasesTable(ledger: EnvironmentLedger, now: number): string {
  const live = ledger.releases[0];
  const head = live ? `${ledger.app} ${ledger.environment}: live ${shortSha(live.sha)} ${live.artifact} since ${when(live.wentLiveAt, now)}` : `${ledger.app} ${ledger.environment}: no release yet`;
  const lines = [oneLine(head, 400)];
  if (ledger.holder) lines.push(oneLine(`deploying: ${ledger.holder}`, 400));
  if (ledger.queue.length > 0) lines.push(oneLine(`queued: ${ledger.queue.join(', ')}`, 400));
  if (ledger.releases.length > 0) {
    const header = ['SHA', 'ARTIFACT', 'KIND', 'WENT LIVE', 'BY', 'REQUESTED BY', 'APPROVED BY', 'REASON', 'MIGRATIONS'];
    lines.push(formatTable([header, ...ledger.releases.map((r) => releaseRow(r, now))]));
  }
  if (ledger.lastAttempt) lines.push(attemptLine(ledger.lastAttempt, now));
  return lines.join('\n');
}
