import type { EnvironmentStatus, IgnoredMessage, PromotionStatus, StepStatus } from './status';

const ICON: Record<StepStatus['state'], string> = {
  pending: '·',
  running: '▶',
  waiting: '⏸',
  succeeded: '✓',
  failed: '✗',
  skipped: '–',
  cancelled: '⊘',
};

/** Refusals listed in the Web UI; the status keeps more. */
export const REFUSALS_SHOWN = 5;

/**
 * Names and reasons come from whoever sent a signal: shown as text, never as markdown, so
 * nobody can put a link or a fake heading in front of an approver.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`).replace(/\s+/g, ' ');
}

const step = (s: StepStatus) => `${ICON[s.state]} ${s.name}${s.detail ? ` (${escapeMarkdown(s.detail)})` : ''}`;

export function stageMarkdown(env: EnvironmentStatus): string {
  const steps = env.steps.map(step).join(' → ');
  return `- **${env.name}**: ${env.state}${steps ? ` — ${steps}` : ''}${env.error ? `\n  - ${escapeMarkdown(env.error)}` : ''}`;
}

function approvalLines(env: EnvironmentStatus): string[] {
  const approval = env.approval!;
  const approvedBy = approval.received.filter((r) => r.decision === 'approve').map((r) => escapeMarkdown(r.approver));
  const mayApprove = approval.approvers?.length ? approval.approvers.map(escapeMarkdown).join(', ') : 'anyone who may signal this workflow';
  return [
    '',
    `Waiting for approval of **${env.name}** (${approvedBy.length}/${approval.required})${approval.deadline ? ` until ${approval.deadline}` : ''}.`,
    `Approved by: ${approvedBy.length ? approvedBy.join(', ') : 'nobody yet'}. May approve: ${mayApprove}.`,
    `Send signal \`approve\` with \`{"environment": "${env.name}", "approver": "<you>"}\`.`,
  ];
}

/**
 * Text shown as code. Backslash escapes do not work inside a code span (they would show), and a
 * backtick would end it early: the fence is one backtick longer than the longest run inside.
 */
export function codeSpan(text: string): string {
  const folded = text.replace(/\s+/g, ' ');
  const fence = '`'.repeat(Math.max(0, ...(folded.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  const pad = folded.startsWith('`') || folded.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${folded}${pad}${fence}`;
}

function refusalLine(message: IgnoredMessage): string {
  const from = message.from ? ` from ${escapeMarkdown(message.from)}` : '';
  return `- ${codeSpan(message.name)}${from} at ${message.at}: ${escapeMarkdown(message.reason)}`;
}

/** The latest refusals: the Web UI tells every sender "sent", so this is where they learn otherwise. */
function refusalLines(status: PromotionStatus): string[] {
  if (status.ignored.length === 0) return [];
  const shown = status.ignored.slice(-REFUSALS_SHOWN);
  const more = status.ignoredCount - shown.length;
  // The blank line before the items: the Web UI's renderer starts no list right after a paragraph.
  return ['', `**Refused signals** (latest ${shown.length}${more > 0 ? `; ${more} earlier` : ''}):`, '', ...shown.map(refusalLine)];
}

/** The short progress view the Web UI shows as the workflow's current details. */
export function progressMarkdown(status: PromotionStatus): string {
  const lines = [
    `**${status.app}** \`${status.sha.slice(0, 7)}\` (${escapeMarkdown(status.ref)}) → **${status.state}**`,
    status.commit ? `_${escapeMarkdown(status.commit.subject)}_ — ${escapeMarkdown(status.commit.authorName)}` : '',
    '',
    `- release: ${status.steps.map(step).join(' → ')}`,
    ...status.environments.map(stageMarkdown),
  ];
  const waiting = status.environments.find((env) => env.approval && env.steps.some((s) => s.name === 'approval' && s.state === 'waiting'));
  if (waiting) lines.push(...approvalLines(waiting));
  lines.push(...refusalLines(status));
  if (status.error) lines.push('', `**Error:** ${escapeMarkdown(status.error)}`);
  return lines.filter((line, i) => line !== '' || i > 1).join('\n');
}
