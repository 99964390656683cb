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

export function statusTable(status: PromotionStatus, now = Date.now()): string {
  const rows: string[][] = [['ENVIRONMENT', 'STEP', 'STATE', 'TIME', 'DETAIL']];
  for (const step of status.steps) rows.push(['', step.name, step.state, duration(step, now), step.error ?? step.detail ?? '']);
  for (const env of status.environments) {
    rows.push([env.name, '', env.state, '', env.error ?? '']);
    for (const step of env.steps) rows.push(['', step.name, step.state, duration(step, now), step.error ?? step.detail ?? '']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
  const head = `${status.workflowId}  ${status.artifact}  (${status.ref} → ${status.sha.slice(0, 7)})  ${status.state.toUpperCase()}`;
  return [head, ...lines, ...(status.error ? [`error: ${status.error}`] : [])].join('\n');
}

/** Exit code of a finished promotion: 0 succeeded, 1 anything else. */
export const isSuccess = (status: PromotionStatus) => status.state === 'succeeded';
export const isFinished = (status: PromotionStatus) => !['running', 'waiting'].includes(status.state);
