import type { EnvironmentStatus, PromotionStatus, StepStatus } from './status';

const ICON: Record<StepStatus['state'], string> = {
  pending: '·',
  running: '▶',
  waiting: '⏸',
  succeeded: '✓',
  failed: '✗',
  skipped: '–',
  cancelled: '⊘',
};

const step = (s: StepStatus) => `${ICON[s.state]} ${s.name}${s.detail ? ` (${s.detail})` : ''}`;

export function stageMarkdown(env: EnvironmentStatus): string {
  const steps = env.steps.map(step).join(' → ');
  return `- **${env.name}**: ${env.state}${steps ? ` — ${steps}` : ''}${env.error ? `\n  - ${env.error}` : ''}`;
}

/** The short progress view the Web UI shows as the workflow's current details. */
export function progressMarkdown(status: PromotionStatus): string {
  const lines = [
    `**${status.app}** \`${status.sha.slice(0, 7)}\` (${status.ref}) → **${status.state}**`,
    status.commit ? `_${status.commit.subject}_ — ${status.commit.authorName}` : '',
    '',
    `- release: ${status.steps.map(step).join(' → ')}`,
    ...status.environments.map(stageMarkdown),
  ];
  const waiting = status.environments.find((env) => env.state === 'waiting' && env.approval);
  if (waiting?.approval) {
    const got = waiting.approval.received.filter((r) => r.decision === 'approve').length;
    lines.push(
      '',
      `Waiting for approval of **${waiting.name}** (${got}/${waiting.approval.required}) until ${waiting.approval.deadline}.`,
      `Send signal \`approve\` with \`{"environment": "${waiting.name}", "approver": "<you>"}\`.`,
    );
  }
  if (status.error) lines.push('', `**Error:** ${status.error}`);
  return lines.filter((line, i) => line !== '' || i > 1).join('\n');
}
