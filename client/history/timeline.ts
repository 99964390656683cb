// A readable timeline of one workflow run (a promotion or a stage), read from its event history.
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { z } from 'zod';

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;
type Failure = temporal.api.failure.v1.IFailure;

const at = z.iso.datetime();
const eventId = z.number().int().positive();

const workflowEntrySchema = z.object({
  kind: z.literal('workflow'),
  eventId,
  at,
  state: z.enum(['started', 'cancel-requested', 'completed', 'failed', 'cancelled', 'terminated', 'timed-out', 'continued-as-new']),
  workflowType: z.string().optional(),
  summary: z.string().optional(),
  /** A stage's promotion. */
  parentWorkflowId: z.string().optional(),
  /** Why it failed, was terminated or was asked to cancel. */
  reason: z.string().optional(),
  identity: z.string().optional(),
});

const activityEntrySchema = z.object({
  kind: z.literal('activity'),
  /** The scheduling event; `at` is when it was scheduled. */
  eventId,
  at,
  activityId: z.string(),
  name: z.string(),
  summary: z.string().optional(),
  environment: z.string().optional(),
  state: z.enum(['scheduled', 'started', 'cancel-requested', 'completed', 'failed', 'timed-out', 'cancelled']),
  /** The attempt that ended it (history records only the last one); 0 while no attempt has ended. */
  attempts: z.number().int().nonnegative(),
  startedAt: at.optional(),
  endedAt: at.optional(),
  /** From scheduling to the end, retries and their back-off included. */
  durationMs: z.number().nonnegative().optional(),
  failure: z.string().optional(),
});

const timerEntrySchema = z.object({
  kind: z.literal('timer'),
  eventId,
  at,
  timerId: z.string(),
  summary: z.string().optional(),
  state: z.enum(['started', 'fired', 'cancelled']),
  /** How long it was set for. */
  durationMs: z.number().nonnegative(),
  endedAt: at.optional(),
});

const signalEntrySchema = z.object({
  kind: z.literal('signal'),
  eventId,
  at,
  name: z.string(),
  environment: z.string().optional(),
  /** approve/reject: the approver; abort: who aborted. */
  by: z.string().optional(),
  /** reject/abort: the reason given. */
  reason: z.string().optional(),
  comment: z.string().optional(),
  identity: z.string().optional(),
});

const updateEntrySchema = z.object({
  kind: z.literal('update'),
  eventId,
  at,
  updateId: z.string(),
  name: z.string(),
  state: z.enum(['admitted', 'accepted', 'rejected', 'completed', 'failed']),
  environment: z.string().optional(),
  /** decide: approve or reject. */
  decision: z.string().optional(),
  by: z.string().optional(),
  /** Rejected or failed: why. */
  reason: z.string().optional(),
  endedAt: at.optional(),
  identity: z.string().optional(),
});

const childEntrySchema = z.object({
  kind: z.literal('child'),
  /** The initiating event; `at` is when the parent asked for it. */
  eventId,
  at,
  workflowId: z.string(),
  workflowType: z.string(),
  summary: z.string().optional(),
  environment: z.string().optional(),
  state: z.enum(['initiated', 'start-failed', 'started', 'completed', 'failed', 'cancelled', 'terminated', 'timed-out']),
  runId: z.string().optional(),
  endedAt: at.optional(),
  durationMs: z.number().nonnegative().optional(),
  failure: z.string().optional(),
});

export const timelineEntrySchema = z.discriminatedUnion('kind', [workflowEntrySchema, activityEntrySchema, timerEntrySchema, signalEntrySchema, updateEntrySchema, childEntrySchema]);

export type TimelineEntry = z.infer<typeof timelineEntrySchema>;
export type WorkflowEntry = z.infer<typeof workflowEntrySchema>;
export type ActivityEntry = z.infer<typeof activityEntrySchema>;
export type TimerEntry = z.infer<typeof timerEntrySchema>;
export type SignalEntry = z.infer<typeof signalEntrySchema>;
export type UpdateEntry = z.infer<typeof updateEntrySchema>;
export type ChildEntry = z.infer<typeof childEntrySchema>;

/**
 * The history's events folded into one entry per thing that happened: the workflow's start and
 * end, each activity, timer, child workflow and update (its later events fill in the same
 * entry), and each signal. Entries come in the order of their first event. Pure: the same
 * history always gives the same timeline.
 */
export function timelineOf(history: History): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const activities = new Map<number, ActivityEntry>();
  const timers = new Map<number, TimerEntry>();
  const children = new Map<number, ChildEntry>();
  const updates = new Map<string, UpdateEntry>();
  let lastMs = 0;

  for (const event of history.events ?? []) {
    const id = toNumber(event.eventId);
    const ms = event.eventTime ? timestampMs(event.eventTime) : lastMs;
    lastMs = ms;
    const when = iso(ms);
    const summary = decodeString(event.userMetadata?.summary);
    const workflow = (state: WorkflowEntry['state'], extra: Partial<WorkflowEntry> = {}) => entries.push(clean({ kind: 'workflow', eventId: id, at: when, state, ...extra }));

    if (event.workflowExecutionStartedEventAttributes) {
      const a = event.workflowExecutionStartedEventAttributes;
      workflow('started', {
        workflowType: a.workflowType?.name ?? undefined,
        summary,
        parentWorkflowId: a.parentWorkflowExecution?.workflowId ?? undefined,
        identity: a.identity || undefined,
      });
    } else if (event.workflowExecutionCancelRequestedEventAttributes) {
      const a = event.workflowExecutionCancelRequestedEventAttributes;
      workflow('cancel-requested', { reason: a.cause || undefined, identity: a.identity || undefined });
    } else if (event.workflowExecutionCompletedEventAttributes) {
      workflow('completed');
    } else if (event.workflowExecutionFailedEventAttributes) {
      workflow('failed', { reason: failureMessage(event.workflowExecutionFailedEventAttributes.failure) });
    } else if (event.workflowExecutionCanceledEventAttributes) {
      workflow('cancelled');
    } else if (event.workflowExecutionTerminatedEventAttributes) {
      const a = event.workflowExecutionTerminatedEventAttributes;
      workflow('terminated', { reason: a.reason || undefined, identity: a.identity || undefined });
    } else if (event.workflowExecutionTimedOutEventAttributes) {
      workflow('timed-out');
    } else if (event.workflowExecutionContinuedAsNewEventAttributes) {
      workflow('continued-as-new');
    } else if (event.activityTaskScheduledEventAttributes) {
      const a = event.activityTaskScheduledEventAttributes;
      const entry: ActivityEntry = clean({
        kind: 'activity',
        eventId: id,
        at: when,
        activityId: a.activityId ?? '',
        name: a.activityType?.name ?? '',
        summary,
        environment: environmentOf(firstArg(a.input?.payloads)),
        state: 'scheduled',
        attempts: 0,
      });
      activities.set(id, entry);
      entries.push(entry);
    } else if (event.activityTaskStartedEventAttributes) {
      const a = event.activityTaskStartedEventAttributes;
      const entry = activities.get(toNumber(a.scheduledEventId));
      if (entry) Object.assign(entry, { state: 'started', startedAt: when, attempts: a.attempt ?? 1 });
    } else if (event.activityTaskCompletedEventAttributes) {
      endActivity(activities.get(toNumber(event.activityTaskCompletedEventAttributes.scheduledEventId)), 'completed', ms);
    } else if (event.activityTaskFailedEventAttributes) {
      const a = event.activityTaskFailedEventAttributes;
      endActivity(activities.get(toNumber(a.scheduledEventId)), 'failed', ms, failureMessage(a.failure));
    } else if (event.activityTaskTimedOutEventAttributes) {
      const a = event.activityTaskTimedOutEventAttributes;
      endActivity(activities.get(toNumber(a.scheduledEventId)), 'timed-out', ms, failureMessage(a.failure));
    } else if (event.activityTaskCancelRequestedEventAttributes) {
      const entry = activities.get(toNumber(event.activityTaskCancelRequestedEventAttributes.scheduledEventId));
      if (entry) entry.state = 'cancel-requested';
    } else if (event.activityTaskCanceledEventAttributes) {
      endActivity(activities.get(toNumber(event.activityTaskCanceledEventAttributes.scheduledEventId)), 'cancelled', ms);
    } else if (event.timerStartedEventAttributes) {
      const a = event.timerStartedEventAttributes;
      const entry: TimerEntry = clean({
        kind: 'timer',
        eventId: id,
        at: when,
        timerId: a.timerId ?? '',
        summary,
        state: 'started',
        durationMs: a.startToFireTimeout ? timestampMs(a.startToFireTimeout) : 0,
      });
      timers.set(id, entry);
      entries.push(entry);
    } else if (event.timerFiredEventAttributes) {
      const entry = timers.get(toNumber(event.timerFiredEventAttributes.startedEventId));
      if (entry) Object.assign(entry, { state: 'fired', endedAt: when });
    } else if (event.timerCanceledEventAttributes) {
      const entry = timers.get(toNumber(event.timerCanceledEventAttributes.startedEventId));
      if (entry) Object.assign(entry, { state: 'cancelled', endedAt: when });
    } else if (event.workflowExecutionSignaledEventAttributes) {
      const a = event.workflowExecutionSignaledEventAttributes;
      const payload = firstArg(a.input?.payloads);
      entries.push(
        clean({
          kind: 'signal',
          eventId: id,
          at: when,
          name: a.signalName ?? '',
          environment: environmentOf(payload),
          by: field(payload, 'approver') ?? field(payload, 'by'),
          reason: field(payload, 'reason'),
          comment: field(payload, 'comment'),
          identity: a.identity || undefined,
        }),
      );
    } else if (event.workflowExecutionUpdateAdmittedEventAttributes) {
      startUpdate(event.workflowExecutionUpdateAdmittedEventAttributes.request, 'admitted', id, when);
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      startUpdate(event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest, 'accepted', id, when);
    } else if (event.workflowExecutionUpdateRejectedEventAttributes) {
      const a = event.workflowExecutionUpdateRejectedEventAttributes;
      const entry = startUpdate(a.rejectedRequest, 'rejected', id, when);
      Object.assign(entry, { reason: failureMessage(a.failure), endedAt: when });
    } else if (event.workflowExecutionUpdateCompletedEventAttributes) {
      const a = event.workflowExecutionUpdateCompletedEventAttributes;
      const entry = updates.get(a.meta?.updateId ?? '');
      if (entry) {
        const failure = a.outcome?.failure;
        Object.assign(entry, clean({ state: failure ? 'failed' : 'completed', endedAt: when, reason: failure ? failureMessage(failure) : undefined }));
      }
    } else if (event.startChildWorkflowExecutionInitiatedEventAttributes) {
      const a = event.startChildWorkflowExecutionInitiatedEventAttributes;
      const entry: ChildEntry = clean({
        kind: 'child',
        eventId: id,
        at: when,
        workflowId: a.workflowId ?? '',
        workflowType: a.workflowType?.name ?? '',
        summary,
        environment: environmentOf(firstArg(a.input?.payloads)),
        state: 'initiated',
      });
      children.set(id, entry);
      entries.push(entry);
    } else if (event.startChildWorkflowExecutionFailedEventAttributes) {
      const a = event.startChildWorkflowExecutionFailedEventAttributes;
      endChild(toNumber(a.initiatedEventId), 'start-failed', ms, startFailure(a.cause));
    } else if (event.childWorkflowExecutionStartedEventAttributes) {
      const a = event.childWorkflowExecutionStartedEventAttributes;
      const entry = children.get(toNumber(a.initiatedEventId));
      if (entry) Object.assign(entry, clean({ state: 'started', runId: a.workflowExecution?.runId || undefined }));
    } else if (event.childWorkflowExecutionCompletedEventAttributes) {
      endChild(toNumber(event.childWorkflowExecutionCompletedEventAttributes.initiatedEventId), 'completed', ms);
    } else if (event.childWorkflowExecutionFailedEventAttributes) {
      const a = event.childWorkflowExecutionFailedEventAttributes;
      endChild(toNumber(a.initiatedEventId), 'failed', ms, failureMessage(a.failure));
    } else if (event.childWorkflowExecutionCanceledEventAttributes) {
      endChild(toNumber(event.childWorkflowExecutionCanceledEventAttributes.initiatedEventId), 'cancelled', ms);
    } else if (event.childWorkflowExecutionTerminatedEventAttributes) {
      endChild(toNumber(event.childWorkflowExecutionTerminatedEventAttributes.initiatedEventId), 'terminated', ms);
    } else if (event.childWorkflowExecutionTimedOutEventAttributes) {
      endChild(toNumber(event.childWorkflowExecutionTimedOutEventAttributes.initiatedEventId), 'timed-out', ms);
    }
  }
  return entries;

  function endActivity(entry: ActivityEntry | undefined, state: ActivityEntry['state'], ms: number, failure?: string): void {
    if (!entry) return;
    Object.assign(entry, clean({ state, endedAt: iso(ms), durationMs: Math.max(0, ms - Date.parse(entry.at)), failure }));
  }

  function endChild(initiatedEventId: number, state: ChildEntry['state'], ms: number, failure?: string): void {
    const entry = children.get(initiatedEventId);
    if (!entry) return;
    Object.assign(entry, clean({ state, endedAt: iso(ms), durationMs: Math.max(0, ms - Date.parse(entry.at)), failure }));
  }

  function startUpdate(request: temporal.api.update.v1.IRequest | null | undefined, state: UpdateEntry['state'], id: number, when: string): UpdateEntry {
    const updateId = request?.meta?.updateId ?? '';
    const known = updates.get(updateId);
    if (known) {
      known.state = state;
      return known;
    }
    const payload = firstArg(request?.input?.args?.payloads);
    const entry: UpdateEntry = clean({
      kind: 'update',
      eventId: id,
      at: when,
      updateId,
      name: request?.input?.name ?? '',
      state,
      environment: environmentOf(payload),
      decision: field(payload, 'decision'),
      by: field(payload, 'approver') ?? field(payload, 'by'),
      identity: request?.meta?.identity || undefined,
    });
    updates.set(updateId, entry);
    entries.push(entry);
    return entry;
  }
}

/** int64 fields arrive as Long from binary protobuf, and as number or string from other sources. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  if (value && typeof (value as { toNumber?: unknown }).toNumber === 'function') return (value as { toNumber(): number }).toNumber();
  return 0;
}

/** A Timestamp or a Duration (both are seconds + nanos) in milliseconds. */
function timestampMs(ts: { seconds?: unknown; nanos?: number | null }): number {
  return toNumber(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1_000_000);
}

const iso = (ms: number) => new Date(ms).toISOString();

function decode(payload: Payload | null | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
  } catch {
    return undefined; // an encoding this converter does not know (e.g. encrypted by a codec)
  }
}

function decodeString(payload: Payload | null | undefined): string | undefined {
  const value = decode(payload);
  return typeof value === 'string' ? value : undefined;
}

const firstArg = (payloads: Payload[] | null | undefined) => decode(payloads?.[0]);

function field(value: unknown, key: string): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === 'string' && found.trim() ? found.trim() : undefined;
}

/**
 * The environment a payload concerns, as Ferry's inputs carry it: an `environment` name (signals,
 * target and database inputs, notifications), a stage's `environment.name`, or a lock ID
 * `ferry-lock/<app>/<environment>`.
 */
function environmentOf(value: unknown): string | undefined {
  const direct = field(value, 'environment');
  if (direct) return direct;
  const nested = value && typeof value === 'object' ? field((value as Record<string, unknown>).environment, 'name') : undefined;
  if (nested) return nested;
  const lock = field(value, 'lockId') ?? field(value, 'lock');
  return lock?.startsWith('ferry-lock/') ? lock.slice(lock.lastIndexOf('/') + 1) : undefined;
}

/** The failure's message with its causes', e.g. a child's failure and the activity failure under it. */
function failureMessage(failure: Failure | null | undefined): string | undefined {
  const messages: string[] = [];
  for (let f = failure; f; f = f.cause) {
    if (f.message && !messages.includes(f.message)) messages.push(f.message);
  }
  return messages.length ? messages.join(': ') : undefined;
}

/** StartChildWorkflowExecutionFailedCause. */
function startFailure(cause: unknown): string {
  if (cause === 1 || cause === 'START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS') return 'a workflow with this ID already exists';
  if (cause === 2 || cause === 'START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND') return 'namespace not found';
  return `could not start (cause ${String(cause)})`;
}

/** Drops undefined fields, so entries compare and serialize cleanly. */
function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
