// What the server recorded: events and workflow tasks per workflow, the activity and timer
// sequence of a promotion, and the waiting points the bench acts at (read from history, so both
// kinds are watched the same way and neither worker is asked anything).
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** A timer this long is not a pause of the pipeline: an approval's deadline or an idle lock's. */
const LONG_TIMER_MS = 60 * 60_000;

const millis = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(d?.seconds ?? 0) * 1000 + (d?.nanos ?? 0) / 1e6;
const micros = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1e6 + (t?.nanos ?? 0) / 1e3;

export async function historyOf(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
}

export interface Counted {
  events: number;
  workflowTasks: number;
}

export function count(events: HistoryEvent[]): Counted {
  return { events: events.length, workflowTasks: events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length };
}

export const add = (a: Counted, b: Counted): Counted => ({ events: a.events + b.events, workflowTasks: a.workflowTasks + b.workflowTasks });
export const subtract = (a: Counted, b: Counted): Counted => ({ events: a.events - b.events, workflowTasks: a.workflowTasks - b.workflowTasks });

/**
 * Whether the workflow's newest event starts a long timer: a promotion waiting for its approval,
 * or an environment lock gone idle. Nothing else in either kind waits that long.
 */
export async function waitsOnLongTimer(client: Client, workflowId: string): Promise<boolean> {
  const { history } = await client.workflowService.getWorkflowExecutionHistoryReverse({
    namespace: client.options.namespace,
    execution: { workflowId },
    maximumPageSize: 1,
  });
  const newest = history?.events?.[0];
  return newest?.eventType === EventType.EVENT_TYPE_TIMER_STARTED && millis(newest.timerStartedEventAttributes?.startToFireTimeout) >= LONG_TIMER_MS;
}

/** Polls until `workflowId` waits on a long timer; gives up (a harness failure) after `timeoutMs`. */
export async function untilWaiting(client: Client, workflowId: string, timeoutMs = 300_000, pollMs = 25): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await waitsOnLongTimer(client, workflowId).catch(() => false))) {
    if (Date.now() > giveUpAt) throw new Error(`${workflowId} never came to wait (approval or idle) within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * The activities and timers the workflows scheduled, in the order the server recorded them
 * across all of them (a stage child runs between its parent's events). Timers read as their
 * length; a long one as `approval`.
 */
export function workSequence(histories: HistoryEvent[][], leaveOut: ReadonlySet<string>): string[] {
  const steps: { at: number; workflow: number; id: number; what: string }[] = [];
  histories.forEach((events, workflow) => {
    for (const e of events) {
      let what: string | undefined;
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) what = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      else if (e.eventType === EventType.EVENT_TYPE_TIMER_STARTED) {
        const ms = millis(e.timerStartedEventAttributes?.startToFireTimeout);
        what = ms >= LONG_TIMER_MS ? 'timer approval' : `timer ${Math.round(ms)} ms`;
      }
      if (what !== undefined && !leaveOut.has(what)) steps.push({ at: micros(e.eventTime), workflow, id: Number(e.eventId), what });
    }
  });
  steps.sort((a, b) => a.at - b.at || a.workflow - b.workflow || a.id - b.id);
  return steps.map((s) => s.what);
}
