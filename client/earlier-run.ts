// A promotion's workflow ID names its commit, so starting a commit again finds the earlier run
// under the same ID: what it promoted is not promoted twice, and `ferry retry` reuses its plan.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { statusQuery } from '../common/messages';
import type { PromotionPlan } from '../common/plan';
import { hasStatus, outcomeOf } from './outcome';

export interface EarlierRun {
  running: boolean;
  /** Environments it promoted, or skipped as promoted by a run before it: a new run records them as skipped. */
  promoted: string[];
  state?: string;
}

/** A run closed without a final status (terminated) is queried: its worker answers from history. A dead worker must not hang the CLI. */
const QUERY_DEADLINE_MS = 15_000;

export async function earlierRun(client: Client, workflowId: string): Promise<EarlierRun | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch(() => undefined);
  if (!description) return undefined;
  if (description.status.name === 'RUNNING') return { running: true, promoted: [] };
  // The final status is in its result or failure; only a terminated or timed-out run needs its worker.
  const outcome = await outcomeOf(client, workflowId);
  const status = hasStatus(outcome) ? outcome : await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(statusQuery)).catch(() => undefined);
  // A run also ends every environment it never entered `skipped` (after a failure or a refusal):
  // only those its plan skipped, promoted by a run before it, count with the ones it promoted.
  const skippedByPlan = new Set((await earlierPlan(client, workflowId).catch(() => undefined))?.environments?.filter((e) => e.skip).map((e) => e.name));
  const promoted = status?.environments.filter((e) => e.state === 'succeeded' || (e.state === 'skipped' && skippedByPlan.has(e.name))).map((e) => e.name) ?? [];
  return { running: false, promoted, state: outcome.state };
}

/** The plan the earlier run was started with, from the first event of its history. */
export async function earlierPlan(client: Client, workflowId: string): Promise<PromotionPlan> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!input) throw new Error(`${workflowId}: its history has no start input`);
  return defaultPayloadConverter.fromPayload<PromotionPlan>(input);
}
