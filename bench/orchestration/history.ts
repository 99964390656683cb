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

/** Where a history's events come from, so a difference in events can be read by its cause. */
export const SOURCES = [
  'workflow tasks',
  'activities',
  'timers',
  'local activities (markers)',
  'patches (marker and TemporalChangeVersion upsert)',
  'search-attribute upserts',
  'child workflows (in the parent)',
  'signals and updates',
  'workflow starts and ends',
] as const;
export type Source = (typeof SOURCES)[number];

export interface Counted {
  events: number;
  workflowTasks: number;
  bySource: Record<Source, number>;
}

const noSources = (): Record<Source, number> => Object.fromEntries(SOURCES.map((source) => [source, 0])) as Record<Source, number>;

function sourceOf(e: HistoryEvent): Source {
  const name = EventType[e.eventType ?? 0] ?? '';
  if (name.startsWith('EVENT_TYPE_WORKFLOW_TASK_')) return 'workflow tasks';
  if (name.startsWith('EVENT_TYPE_ACTIVITY_TASK_')) return 'activities';
  if (name.startsWith('EVENT_TYPE_TIMER_')) return 'timers';
  if (e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED) {
    return e.markerRecordedEventAttributes?.markerName === 'core_patch' ? 'patches (marker and TemporalChangeVersion upsert)' : 'local activities (markers)';
  }
  if (e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) {
    const keys = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
    return keys.length > 0 && keys.every((key) => key === 'TemporalChangeVersion') ? 'patches (marker and TemporalChangeVersion upsert)' : 'search-attribute upserts';
  }
  if (name.includes('CHILD_WORKFLOW')) return 'child workflows (in the parent)';
  if (name.includes('SIGNAL') || name.includes('UPDATE')) return 'signals and updates';
  return 'workflow starts and ends';
}

export function count(events: HistoryEvent[]): Counted {
  const bySource = noSources();
  for (const e of events) bySource[sourceOf(e)]++;
  return { events: events.length, workflowTasks: events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length, bySource };
}

const combine = (a: Counted, b: Counted, sign: 1 | -1): Counted => ({
  events: a.events + sign * b.events,
  workflowTasks: a.workflowTasks + sign * b.workflowTasks,
  bySource: Object.fromEntries(SOURCES.map((source) => [source, a.bySource[source] + sign * b.bySource[source]])) as Record<Source, number>,
});
export const add = (a: Counted, b: Counted): Counted => combine(a, b, 1);
export const subtract = (a: Counted, b: Counted): Counted => combine(a, b, -1);
export const NOTHING_COUNTED: Counted = { events: 0, workflowTasks: 0, bySource: noSources() };

/**
 * Whether the workflow's newest event starts a long timer: asked only of promotions, it says one
 * waits for its approval (nothing else in a promotion waits that long).
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
    if (Date.now() > giveUpAt) throw new Error(`${workflowId} never came to wait for its approval within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Polls until `workflowId` has no workflow task pending: it has handled every message so far (its
 * newest events may be the commands of its last task, a cancelled timer say).
 */
export async function untilTaskDone(client: Client, workflowId: string, timeoutMs: number): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const described = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    if (described && !described.raw.pendingWorkflowTask) return;
    if (Date.now() > giveUpAt) throw new Error(`${workflowId} never finished its workflow task within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
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
