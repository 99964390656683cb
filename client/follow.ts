// `--wait` and `--watch`: follow a promotion until it ends, printing each step as it changes.
import type { Client } from '@temporalio/client';
import { setTimeout as delay } from 'node:timers/promises';
import type { PromotionStatus } from '../common/status';
import { liveStatus } from './live-status';
import { isFinished } from './status-table';

const POLL_MS = 1_000;

/** One line per step and environment, keyed by where it is. */
function rows(status: PromotionStatus | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!status) return map;
  const text = (state: string, note?: string) => (note ? `${state} — ${note}` : state);
  for (const s of status.steps) map.set(`${status.app} ${s.name}`, text(s.state, s.error ?? s.detail));
  for (const env of status.environments) {
    map.set(env.name, text(env.state, env.error));
    for (const s of env.steps) map.set(`${env.name} ${s.name}`, text(s.state, s.error ?? s.detail));
  }
  return map;
}

/** Lines for what changed between two looks at a promotion. */
export function changes(before: PromotionStatus | undefined, after: PromotionStatus): string[] {
  const old = rows(before);
  return [...rows(after)]
    .filter(([where, text]) => old.get(where) !== text && text !== 'pending')
    .map(([where, text]) => `${where}: ${text}`);
}

/** Polls the promotion's live status until it ends; returns the final status. */
export async function follow(
  client: Client,
  workflowId: string,
  print: (line: string) => void,
  onStatus: (status: PromotionStatus) => Promise<void> = async () => undefined,
): Promise<PromotionStatus> {
  let last: PromotionStatus | undefined;
  for (;;) {
    const status = await liveStatus(client, workflowId);
    for (const line of changes(last, status)) print(line);
    await onStatus(status);
    last = status;
    if (isFinished(status)) return status;
    await delay(POLL_MS);
  }
}
