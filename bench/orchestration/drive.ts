// Starting, approving and finishing promotions of either kind, the same way for both.
import type { Client } from '@temporalio/client';
import { lockWorkflowId, promotionWorkflowId, shortSha, stageWorkflowId, type PromotionPlan } from '../../common/plan';
import { floorLockId, floorSearchAttributes, floorStageId } from './floor-workflow';
import { add, count, historyOf, NOTHING_COUNTED, subtract, untilTaskDone, untilWaiting, waitsOnLongTimer, type Counted } from './history';
import { taskQueueOf, type FloorDesign, type Kind } from './ipc';
import { APPROVED_ENVIRONMENT, APPROVER } from './plan';

/** Ferry's activities that exist for its orchestration (lock, ledger, notifications): bare has no counterpart. */
export const ORCHESTRATION_ONLY = new Set(['requestLock', 'askForLock', 'grantLock', 'confirmGrant', 'checkHolder', 'recordRelease', 'readRecord', 'readLedger', 'notify']);

export function promotionIdOf(kind: Kind, plan: PromotionPlan): string {
  return kind === 'ferry' ? promotionWorkflowId(plan.app, plan.sha) : `${kind}-${plan.app}-${shortSha(plan.sha)}`;
}

const WORKFLOW_TYPE: Record<Kind, string> = { ferry: 'promotion', bare: 'barePromotion', floor: 'floorPromotion' };
const FLOOR_WORKFLOW_TYPE: Record<FloorDesign, string> = { 'lock-and-stage': 'floorPromotion', 'one-per-environment': 'mergedFloorPromotion' };

export async function start(client: Client, kind: Kind, plan: PromotionPlan, floorDesign: FloorDesign = 'lock-and-stage'): Promise<string> {
  const workflowId = promotionIdOf(kind, plan);
  const searchAttributes = kind === 'floor' ? { typedSearchAttributes: floorSearchAttributes(plan.app, plan.sha, 'none', 'resolve') } : {};
  await client.workflow.start(kind === 'floor' ? FLOOR_WORKFLOW_TYPE[floorDesign] : WORKFLOW_TYPE[kind], { taskQueue: taskQueueOf(kind), workflowId, args: [plan], ...searchAttributes });
  return workflowId;
}

/** Sends the approval and returns when it was sent (Date.now(), the worker's clock too). */
export async function approve(client: Client, workflowId: string): Promise<number> {
  const sentAt = Date.now();
  await client.workflow.getHandle(workflowId).signal('approve', { environment: APPROVED_ENVIRONMENT, approver: APPROVER, comment: 'bench' });
  return sentAt;
}

/** The promotion's result; a promotion that did not succeed is a harness failure (no-op activities cannot fail). */
export async function finished(client: Client, workflowId: string): Promise<void> {
  try {
    await client.workflow.getHandle(workflowId).result();
  } catch (error) {
    throw new Error(`${workflowId} did not succeed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** One promotion, start → result, approved as soon as it waits. */
export async function runOne(client: Client, kind: Kind, plan: PromotionPlan): Promise<{ workflowId: string; wallMs: number }> {
  const startedAt = performance.now();
  const workflowId = await start(client, kind, plan);
  await untilWaiting(client, workflowId);
  await approve(client, workflowId);
  await finished(client, workflowId);
  return { workflowId, wallMs: performance.now() - startedAt };
}

/** The locks of an app, by environment (none for bare): each lives on between promotions (Ferry's keeps the ledger). */
export const locksOf = (kind: Kind, plan: PromotionPlan) =>
  kind === 'bare' ? [] : plan.environments.map((env) => (kind === 'ferry' ? lockWorkflowId(plan.app, env.name) : floorLockId(plan.app, env.name)));

/** The workflows of each environment's stage. */
const stagesOf = (kind: Kind, plan: PromotionPlan, workflowId: string) =>
  kind === 'bare' ? [] : plan.environments.map((env) => (kind === 'ferry' ? stageWorkflowId(workflowId, env.name) : floorStageId(workflowId, env.name)));

/** A lock's events so far, with its run: a lock that started over between two readings cannot be subtracted. */
export async function lockReading(client: Client, lockId: string): Promise<{ runId?: string; counted: Counted }> {
  const described = await client.workflow
    .getHandle(lockId)
    .describe()
    .catch(() => undefined);
  if (!described) return { counted: NOTHING_COUNTED };
  return { runId: described.runId, counted: count(await historyOf(client, lockId, described.runId)) };
}

/**
 * Waits until each lock has handled every message so far (no workflow task pending). Once a promotion
 * has ended, its locks let it go in that task (Ferry's with its record), so they are free again;
 * a Ferry lock starts no timer as it goes idle (its weekly wake is one timer a run) to wait for.
 */
export async function locksSettled(client: Client, kind: Kind, plan: PromotionPlan): Promise<void> {
  for (const lockId of locksOf(kind, plan)) await untilTaskDone(client, lockId, 60_000);
}

/** Every workflow a promotion caused, counted: Ferry's promotion, its stages and what its locks did meanwhile. */
export async function countedPromotion(client: Client, kind: Kind, plan: PromotionPlan, workflowId: string, locksBefore: Map<string, { runId?: string; counted: Counted }>): Promise<Counted> {
  let total = count(await historyOf(client, workflowId));
  for (const stageId of stagesOf(kind, plan, workflowId)) total = add(total, count(await historyOf(client, stageId)));
  for (const lockId of locksOf(kind, plan)) {
    const before = locksBefore.get(lockId) ?? { counted: NOTHING_COUNTED };
    const after = await lockReading(client, lockId);
    if (before.runId !== undefined && after.runId !== before.runId) {
      throw new Error(`${lockId} started over (continue-as-new) during the round: its events cannot be counted; run fewer rounds`);
    }
    total = add(total, subtract(after.counted, before.counted));
  }
  return total;
}

/** The histories whose activities and timers make up the promotion's work, for the sequence check. */
export async function workHistories(client: Client, kind: Kind, plan: PromotionPlan, workflowId: string) {
  return Promise.all([workflowId, ...stagesOf(kind, plan, workflowId)].map((id) => historyOf(client, id)));
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function eachLimited<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

/**
 * Approves each promotion as soon as it waits, while the batch runs: one history read per
 * waiting-to-be-approved promotion per sweep, a few at a time.
 */
export async function approveAsTheyWait(client: Client, workflowIds: string[], done: () => boolean): Promise<void> {
  const pending = new Set(workflowIds);
  while (pending.size > 0 && !done()) {
    await eachLimited([...pending], 16, async (id) => {
      if (await waitsOnLongTimer(client, id).catch(() => false)) {
        await approve(client, id);
        pending.delete(id);
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
