// What a promotion came to, read without asking a worker: a closed promotion's result (success)
// or failure details (failed, rejected, aborted) hold its final status. Terminated and timed-out
// promotions never wrote one, so their close event and last search attributes say what is known.
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { SearchAttr } from '../common/search-attributes';
import type { PromotionStatus } from '../common/status';

export interface EndedWithoutStatus {
  workflowId: string;
  state: 'terminated' | 'timed-out' | 'cancelled' | 'failed';
  app?: string;
  commit?: string;
  endedAt?: string;
  /** Who ended it (the identity on a terminate request), when Temporal recorded one. */
  by?: string;
  reason?: string;
  /** Where it was, as its search attributes last said. */
  lastSeen?: { state?: string; environment?: string; stage?: string };
}

export type Outcome = PromotionStatus | EndedWithoutStatus;

export const hasStatus = (outcome: Outcome): outcome is PromotionStatus => 'environments' in outcome;
export const isSuccess = (outcome: Outcome) => outcome.state === 'succeeded';
export const isFinished = (outcome: Outcome) => !['running', 'waiting'].includes(outcome.state);

function looksLikeStatus(value: unknown): value is PromotionStatus {
  return typeof value === 'object' && value !== null && 'workflowId' in value && Array.isArray((value as PromotionStatus).environments);
}

/**
 * Waits (a server-side long poll, no worker needed) until the promotion closes and returns what
 * it came to. Errors reaching the server are thrown as they are, for the caller to retry.
 */
export async function outcomeOf(client: Client, workflowId: string): Promise<Outcome> {
  try {
    const result: unknown = await client.workflow.getHandle(workflowId).result();
    if (looksLikeStatus(result)) return result;
    return endedWithoutStatus(client, workflowId, 'failed', `it completed without a status (${JSON.stringify(result)?.slice(0, 200)})`);
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    for (let e: unknown = error.cause; e instanceof Error; e = e.cause) {
      if (e instanceof ApplicationFailure && looksLikeStatus(e.details?.[0])) return e.details[0];
    }
    const cause = error.cause;
    const state = cause instanceof TerminatedFailure ? 'terminated' : cause instanceof TimeoutFailure ? 'timed-out' : cause instanceof CancelledFailure ? 'cancelled' : 'failed';
    return endedWithoutStatus(client, workflowId, state, cause?.message ?? error.message);
  }
}

/** The close event (who terminated it, why, when) and the search attributes it last set. */
async function endedWithoutStatus(client: Client, workflowId: string, state: EndedWithoutStatus['state'], reason: string): Promise<EndedWithoutStatus> {
  const handle = client.workflow.getHandle(workflowId);
  const [description, close] = await Promise.all([
    handle.describe(),
    client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId },
      historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    }),
  ]);
  const event = close.history?.events?.[0];
  const terminated = event?.workflowExecutionTerminatedEventAttributes;
  const attr = description.typedSearchAttributes;
  const lastSeen = { state: attr.get(SearchAttr.state), environment: attr.get(SearchAttr.environment), stage: attr.get(SearchAttr.stage) };
  return {
    workflowId,
    state,
    app: attr.get(SearchAttr.app),
    commit: attr.get(SearchAttr.commit),
    endedAt: (optionalTsToDate(event?.eventTime) ?? description.closeTime)?.toISOString(),
    ...(terminated?.identity ? { by: terminated.identity } : {}),
    reason: terminated?.reason || reason,
    lastSeen: Object.fromEntries(Object.entries(lastSeen).filter(([, v]) => v)),
  };
}
