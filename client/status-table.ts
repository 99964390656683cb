// The status of a promotion as a table for people: environments, their steps, state and time.
import type { PromotionStatus, StepStatus } from '../common/status';
import { hasStatus, type EndedWithoutStatus, type Outcome } from './outcome';

function duration(step: Pick<StepStatus, 'startedAt' | 'endedAt'>, now: number): string {
  if (!step.startedAt) return '';
  const ms = (step.endedAt ? Date.parse(step.endedAt) : now) - Date.parse(step.startedAt);
  return formatDuration(ms);
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** Rows as aligned columns, two spaces apart; the first row is the header. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Messages the promotion refused (a forged or malformed approval, say): who sent what, and why not. */
function refusals(status: PromotionStatus): string[] {
  const ignored = status.ignored ?? [];
  const count = status.ignoredCount ?? ignored.length;
  if (count === 0) return [];
  const head = count > ignored.length ? `refused messages: ${count} (the latest ${ignored.length})` : `refused messages: ${count}`;
  const rows = ignored.map((m) => ['', m.at, m.name, m.from ?? '(unnamed)', m.reason]);
  return [head, formatTable([['', 'AT', 'MESSAGE', 'FROM', 'WHY'], ...rows])];
}

/**
 * A cell's first line: a failed command's error carries the tail of its output, which would break
 * the table's rows. The whole error follows the table (the promotion's error names it).
 */
function firstLine(text: string): string {
  const [first, ...more] = text.split(/\r?\n/);
  return more.length > 0 ? `${first} …` : first;
}

export function statusTable(status: PromotionStatus, now = Date.now()): string {
  const stepRow = (step: StepStatus) => ['', step.name, step.state, duration(step, now), firstLine(step.error ?? step.detail ?? '')];
  const rows: string[][] = [['ENVIRONMENT', 'STEP', 'STATE', 'TIME', 'DETAIL'], ...status.steps.map(stepRow)];
  for (const env of status.environments) rows.push([env.name, '', env.state, '', firstLine(env.error ?? '')], ...env.steps.map(stepRow));
  const head = `${status.workflowId}  ${status.artifact}  (${status.ref} → ${status.sha.slice(0, 7)})  ${status.state.toUpperCase()}`;
  return [head, formatTable(rows), ...(status.error ? [`error: ${status.error}`] : []), ...refusals(status)].join('\n');
}

/** A promotion that closed without a final status (terminated, timed out): what is known. */
export function endedTable(ended: EndedWithoutStatus): string {
  const what = [ended.state.toUpperCase(), ended.endedAt ? `at ${ended.endedAt}` : '', ended.by ? `by ${ended.by}` : ''].filter(Boolean).join(' ');
  const where = ended.lastSeen?.environment
    ? `it was last ${ended.lastSeen.state ?? 'running'} in ${ended.lastSeen.environment}${ended.lastSeen.stage ? ` (${ended.lastSeen.stage})` : ''}`
    : undefined;
  return [
    `${ended.workflowId}${ended.commit ? `  (${ended.commit.slice(0, 7)})` : ''}  ${what}`,
    ...(ended.reason ? [`reason: ${ended.reason}`] : []),
    ...(where ? [where] : []),
    'its steps were never recorded as a final status; `ferry history` shows what ran',
  ].join('\n');
}

export const outcomeTable = (outcome: Outcome, now = Date.now()) => (hasStatus(outcome) ? statusTable(outcome, now) : endedTable(outcome));
