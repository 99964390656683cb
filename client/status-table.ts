// The status of a promotion as a table for people: environments, their steps, state and time.
import type { PromotionStatus, StepStatus } from '../common/status';

function duration(step: Pick<StepStatus, 'startedAt' | 'endedAt'>, now: number): string {
  if (!step.startedAt) return '';
  const ms = (step.endedAt ? Date.parse(step.endedAt) : now) - Date.parse(step.startedAt);
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Rows as aligned columns, two spaces apart; the first row is the header. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

export function statusTable(status: PromotionStatus, now = Date.now()): string {
  const stepRow = (step: StepStatus) => ['', step.name, step.state, duration(step, now), step.error ?? step.detail ?? ''];
  const rows: string[][] = [['ENVIRONMENT', 'STEP', 'STATE', 'TIME', 'DETAIL'], ...status.steps.map(stepRow)];
  for (const env of status.environments) rows.push([env.name, '', env.state, '', env.error ?? ''], ...env.steps.map(stepRow));
  const head = `${status.workflowId}  ${status.artifact}  (${status.ref} → ${status.sha.slice(0, 7)})  ${status.state.toUpperCase()}`;
  return [head, formatTable(rows), ...(status.error ? [`error: ${status.error}`] : [])].join('\n');
}

export const isSuccess = (status: PromotionStatus) => status.state === 'succeeded';
export const isFinished = (status: PromotionStatus) => !['running', 'waiting'].includes(status.state);
