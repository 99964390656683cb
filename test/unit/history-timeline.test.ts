import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { timelineEntrySchema, timelineOf, type TimelineEntry } from '../../client/history/timeline';
import { HISTORIES_DIR } from '../helpers/histories';

// Histories are re-recorded with fresh SHAs (`npm run test:record-histories`): they are found by
// the recording test's name, and nothing below depends on a SHA, a run ID, a time or an event ID.
const files = fs
  .readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.history.pb'))
  .sort();

function recorded(test: string, environment?: string): { workflowId: string; sha: string; timeline: TimelineEntry[] } {
  const file = files.find((f) => {
    if (!f.startsWith(test)) return false;
    const id = workflowIdOf(f);
    return environment ? id.endsWith(`-${environment}`) : /^ferry-shop-[0-9a-f]{7}$/.test(id);
  });
  if (!file) throw new Error(`no recorded history of "${test}"${environment ? ` (${environment})` : ''} under ${HISTORIES_DIR}`);
  const workflowId = workflowIdOf(file);
  const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES_DIR, file)));
  return { workflowId, sha: workflowId.split('-')[2], timeline: timelineOf(history) };
}

const workflowIdOf = (file: string) => file.slice(file.indexOf('__') + 2, -'.history.pb'.length);

const ofKind = <K extends TimelineEntry['kind']>(timeline: TimelineEntry[], kind: K) => timeline.filter((e): e is Extract<TimelineEntry, { kind: K }> => e.kind === kind);

const anyTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const ms = (iso: string | undefined) => Date.parse(iso!);

const QUORUM = 'production-approval-a-quorum-of-2-';
const REJECTION = 'production-approval-a-rejection-by-signal-';
const BY_UPDATE = 'production-approval-an-approval-by-update-';
const CANARY_FAILS = 'a-stage-that-fails-is-undone-and-the-promotion-stops-there-canary-analysis-';
const ABORT = 'a-stage-that-fails-is-undone-and-the-promotion-stops-there-an-abort-';
const BUILD_FAILS = 'activity-failures-follow-the-retry-policies-a-build-that-fails-';
const MIGRATION_RETRIED = 'activity-failures-follow-the-retry-policies-a-migration-that-fails-twice-';

test('every recorded history gives a valid, ordered, repeatable timeline', () => {
  expect(files.length).toBeGreaterThanOrEqual(5);
  for (const file of files) {
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES_DIR, file)));
    const timeline = timelineOf(history);
    expect({ file, valid: z.array(timelineEntrySchema).safeParse(timeline).success }).toEqual({ file, valid: true });
    expect(timeline[0]).toMatchObject({ kind: 'workflow', state: 'started' });
    // A history taken while its workflow ran on (an environment's lock held mid-stage, or idle) has not closed; one that closed ends with it.
    const closed = timeline.some((e) => e.kind === 'workflow' && e.state !== 'started');
    expect({ file, closed }).toEqual({ file, closed: !/-(held-mid-stage|idle)__/.test(file) });
    // A lock's run recorded as it started over ends so.
    const ends = /-continued__/.test(file) ? /^continued-as-new$/ : /^(completed|failed)$/;
    if (closed) expect(timeline.at(-1)).toMatchObject({ kind: 'workflow', state: expect.stringMatching(ends) });
    const ids = timeline.map((e) => e.eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    for (const entry of timeline) {
      if ('durationMs' in entry && 'endedAt' in entry && entry.kind !== 'timer') expect(entry.durationMs).toBe(ms(entry.endedAt) - ms(entry.at));
    }
    expect(timelineOf(history)).toEqual(timeline);
  }
});

test('a promotion with a quorum of two: approvals by signal and by Update, the deadline timer, a stage child per environment', () => {
  const { workflowId, sha, timeline } = recorded(QUORUM);

  expect(timeline[0]).toEqual({ kind: 'workflow', eventId: 1, at: anyTime, state: 'started', workflowType: 'promotion', identity: expect.any(String) });
  expect(timeline.at(-1)).toEqual({ kind: 'workflow', eventId: expect.any(Number), at: anyTime, state: 'completed' });

  const activities = ofKind(timeline, 'activity');
  expect(activities[0]).toEqual({
    kind: 'activity',
    eventId: expect.any(Number),
    at: anyTime,
    activityId: '1',
    name: 'resolveCommit',
    summary: `resolve main (${sha})`,
    state: 'completed',
    attempts: 1,
    startedAt: anyTime,
    endedAt: anyTime,
    durationMs: expect.any(Number),
  });
  expect(activities.map((a) => [a.name, a.summary, a.environment, a.state])).toEqual([
    ['resolveCommit', `resolve main (${sha})`, undefined, 'completed'],
    ['build', `build shop:${sha}`, undefined, 'completed'],
    ['test', `test shop:${sha}`, undefined, 'completed'],
    ['requestLock', 'queue for ferry-lock/shop/dev', 'dev', 'completed'],
    ['confirmGrant', 'confirm that ferry-lock/shop/dev is ours', 'dev', 'completed'],
    ['requestLock', 'queue for ferry-lock/shop/staging', 'staging', 'completed'],
    ['confirmGrant', 'confirm that ferry-lock/shop/staging is ours', 'staging', 'completed'],
    ['notify', 'notify: approval-waiting', 'production', 'completed'],
    ['requestLock', 'queue for ferry-lock/shop/production', 'production', 'completed'],
    ['confirmGrant', 'confirm that ferry-lock/shop/production is ours', 'production', 'completed'],
    ['notify', 'notify: succeeded', 'production', 'completed'],
  ]);

  // The same approver twice (the workflow refuses the second, but it was received all the same), then an Update.
  const approve = (by: string) => ({ kind: 'signal', eventId: expect.any(Number), at: anyTime, name: 'approve', environment: 'production', by, identity: expect.any(String) });
  expect(ofKind(timeline, 'signal').filter((s) => s.name === 'approve')).toEqual([approve('olivia'), approve('OLIVIA')]);
  expect(ofKind(timeline, 'update')).toEqual([
    {
      kind: 'update',
      eventId: expect.any(Number),
      at: anyTime,
      updateId: expect.any(String),
      name: 'decide',
      state: 'completed',
      environment: 'production',
      decision: 'approve',
      by: 'sam',
      identity: expect.any(String),
      endedAt: anyTime,
    },
  ]);

  // The approval deadline: 3 days less the moments spent announcing it, cancelled by the quorum.
  const [deadline] = ofKind(timeline, 'timer');
  expect(ofKind(timeline, 'timer')).toEqual([
    {
      kind: 'timer',
      eventId: expect.any(Number),
      at: anyTime,
      timerId: '1',
      summary: 'approval of production (2 needed, 3d to answer)',
      state: 'cancelled',
      durationMs: expect.any(Number),
      endedAt: anyTime,
    },
  ]);
  expect(deadline.durationMs).toBeGreaterThan(3 * 86_400_000 - 60_000);
  expect(deadline.durationMs).toBeLessThanOrEqual(3 * 86_400_000);
  const update = ofKind(timeline, 'update')[0];
  expect(deadline.endedAt).toBe(update.at);

  const children = ofKind(timeline, 'child');
  expect(children.map((c) => [c.workflowId, c.workflowType, c.environment, c.state])).toEqual([
    [`${workflowId}-dev`, 'stage', 'dev', 'completed'],
    [`${workflowId}-staging`, 'stage', 'staging', 'completed'],
    [`${workflowId}-production`, 'stage', 'production', 'completed'],
  ]);
  // dev stabilizes for 2 minutes on the durable clock, skipped by the test server but recorded.
  expect(children[0]).toEqual(expect.objectContaining({ runId: expect.any(String), endedAt: anyTime }));
  expect(children[0].durationMs).toBeGreaterThanOrEqual(120_000);
  expect(ms(children[0].endedAt)).toBeLessThan(ms(children[1].at));
});

test('a rejection by signal: who rejected, why, and the promotion failing on it', () => {
  const { timeline } = recorded(REJECTION);
  expect(ofKind(timeline, 'signal').filter((s) => s.name === 'reject')).toEqual([
    {
      kind: 'signal',
      eventId: expect.any(Number),
      at: anyTime,
      name: 'reject',
      environment: 'production',
      by: 'sam',
      reason: 'wait for the payment provider maintenance to end',
      identity: expect.any(String),
    },
  ]);
  expect(timeline.at(-1)).toEqual({
    kind: 'workflow',
    eventId: expect.any(Number),
    at: anyTime,
    state: 'failed',
    reason: 'production: rejected: by sam: wait for the payment provider maintenance to end',
  });
  expect(ofKind(timeline, 'child').map((c) => c.environment)).toEqual(['dev', 'staging']);
});

test('an approval by Update is read from its payload, trimmed as the workflow trims it', () => {
  expect(ofKind(recorded(BY_UPDATE).timeline, 'update')).toEqual([expect.objectContaining({ name: 'decide', decision: 'approve', by: 'olivia', environment: 'production', state: 'completed' })]);
});

test('a failed canary: the stage child fails, and inside it the canary steps, pauses and the rollback', () => {
  const promotion = recorded(CANARY_FAILS);
  expect(ofKind(promotion.timeline, 'child').map((c) => [c.workflowId, c.state, c.failure])).toEqual([
    [`${promotion.workflowId}-dev`, 'completed', undefined],
    [`${promotion.workflowId}-staging`, 'failed', 'analysis failed at 50%: error rate 12% > 1%'],
  ]);
  expect(promotion.timeline.at(-1)).toMatchObject({ state: 'failed', reason: 'staging: rolled-back: analysis failed at 50%: error rate 12% > 1%' });

  const stage = recorded(CANARY_FAILS, 'staging');
  expect(stage.timeline[0]).toEqual({
    kind: 'workflow',
    eventId: 1,
    at: anyTime,
    state: 'started',
    workflowType: 'stage',
    summary: `promote shop:${promotion.sha} to staging`,
    parentWorkflowId: promotion.workflowId,
  });
  expect(stage.timeline.filter((e) => e.kind === 'activity' || e.kind === 'timer').map((e) => [e.kind, e.summary, e.state])).toEqual([
    ['activity', 'migrate staging', 'completed'],
    ['activity', "send 10% of staging's traffic to the canary", 'completed'],
    ['timer', 'canary at 10%: pause 5m', 'fired'],
    ['activity', 'analyse the canary at 10%', 'completed'],
    ['activity', "send 50% of staging's traffic to the canary", 'completed'],
    ['timer', 'canary at 50%: pause 5m', 'fired'],
    ['activity', 'analyse the canary at 50%', 'completed'],
    ['activity', 'roll staging back', 'completed'],
    ['activity', "undo staging's migrations (down)", 'completed'],
  ]);
  for (const timer of ofKind(stage.timeline, 'timer')) {
    expect(timer.durationMs).toBe(300_000);
    expect(ms(timer.endedAt) - ms(timer.at)).toBe(300_000);
  }
  expect(new Set(ofKind(stage.timeline, 'activity').map((a) => a.environment))).toEqual(new Set(['staging']));
  expect(stage.timeline.at(-1)).toMatchObject({ kind: 'workflow', state: 'failed', reason: 'analysis failed at 50%: error rate 12% > 1%' });
});

test('an abort: who aborted and why, in the promotion and in the stage it was forwarded to', () => {
  const abort = { kind: 'signal', name: 'abort', by: 'sre-sam', reason: 'bad metrics' };
  const promotion = recorded(ABORT);
  expect(ofKind(promotion.timeline, 'signal').filter((s) => s.name === 'abort')).toEqual([expect.objectContaining(abort)]);
  expect(ofKind(recorded(ABORT, 'staging').timeline, 'signal')).toEqual([expect.objectContaining(abort)]);
  expect(ofKind(promotion.timeline, 'child')[1]).toMatchObject({ environment: 'staging', state: 'failed', failure: 'aborted by sre-sam: bad metrics' });
});

test('a failed activity carries its failure; a retried one the attempt that ended it', () => {
  expect(ofKind(recorded(BUILD_FAILS).timeline, 'activity').find((a) => a.name === 'build')).toMatchObject({
    state: 'failed',
    attempts: 1,
    failure: 'make build exited with code 2: missing module ./cart',
  });
  expect(ofKind(recorded(MIGRATION_RETRIED, 'dev').timeline, 'activity')[0]).toMatchObject({
    name: 'migrateDatabase',
    summary: 'migrate dev',
    environment: 'dev',
    state: 'completed',
    attempts: 3,
  });
});

// What the recorded tests never produce, in a history as plain objects (int64s as numbers and
// strings, as JSON tools give them).
describe('events the recordings lack', () => {
  const payloads = (...values: unknown[]) => ({ payloads: values.map((v) => defaultPayloadConverter.toPayload(v)) });
  const t = (second: number) => ({ seconds: String(1_800_000_000 + second), nanos: 5_000_000 });
  const history = {
    events: [
      { eventId: '1', eventTime: t(0), workflowExecutionStartedEventAttributes: { workflowType: { name: 'promotion' } } },
      {
        eventId: 2,
        eventTime: t(1),
        userMetadata: { summary: defaultPayloadConverter.toPayload('deploy it') },
        activityTaskScheduledEventAttributes: { activityId: '1', activityType: { name: 'deploy' }, input: payloads({ environment: 'qa' }) },
      },
      { eventId: 3, eventTime: t(61), activityTaskStartedEventAttributes: { scheduledEventId: 2, attempt: 4 } },
      {
        eventId: 4,
        eventTime: t(91),
        activityTaskTimedOutEventAttributes: { scheduledEventId: '2', failure: { message: 'activity StartToClose timeout' } },
      },
      {
        eventId: 5,
        eventTime: t(92),
        workflowExecutionUpdateRejectedEventAttributes: {
          rejectedRequest: {
            meta: { updateId: 'u1' },
            input: { name: 'decide', args: payloads({ decision: 'approve', environment: 'qa', approver: 'mallory' }) },
          },
          failure: { message: 'mallory may not approve qa' },
        },
      },
      {
        eventId: 6,
        eventTime: t(93),
        workflowExecutionUpdateAcceptedEventAttributes: {
          acceptedRequest: { meta: { updateId: 'u2' }, input: { name: 'decide', args: payloads({ decision: 'reject', environment: 'qa', approver: 'sam' }) } },
        },
      },
      { eventId: 7, eventTime: t(94), workflowExecutionUpdateCompletedEventAttributes: { meta: { updateId: 'u2' }, outcome: { failure: { message: 'gate closed' } } } },
      { eventId: 8, eventTime: t(95), startChildWorkflowExecutionInitiatedEventAttributes: { workflowId: 'ferry-x-qa', workflowType: { name: 'stage' } } },
      { eventId: 9, eventTime: t(96), startChildWorkflowExecutionFailedEventAttributes: { initiatedEventId: 8, cause: 1 } },
      {
        eventId: 10,
        eventTime: t(97),
        workflowExecutionSignaledEventAttributes: { signalName: 'approve', input: { payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted') }, data: Buffer.from([1]) }] } },
      },
      {
        eventId: 11,
        eventTime: t(98),
        startChildWorkflowExecutionInitiatedEventAttributes: { workflowId: 'ferry-y-qa', workflowType: { name: 'stage' }, input: payloads({ environment: { name: 'qa' } }) },
      },
      {
        eventId: 12,
        eventTime: t(99),
        childWorkflowExecutionFailedEventAttributes: {
          initiatedEventId: 11,
          failure: { message: 'Child Workflow execution failed', cause: { message: 'migration 003 failed', cause: { message: 'migration 003 failed' } } },
        },
      },
      { eventId: 13, eventTime: t(100), workflowExecutionTerminatedEventAttributes: { reason: 'stuck', identity: 'sre@laptop' } },
    ],
  } as unknown as temporal.api.history.v1.IHistory;

  test('each becomes an entry with what it says', () => {
    const timeline = timelineOf(history);
    expect(z.array(timelineEntrySchema).parse(timeline)).toEqual(timeline);
    expect(timeline).toEqual([
      { kind: 'workflow', eventId: 1, at: '2027-01-15T08:00:00.005Z', state: 'started', workflowType: 'promotion' },
      {
        kind: 'activity',
        eventId: 2,
        at: '2027-01-15T08:00:01.005Z',
        activityId: '1',
        name: 'deploy',
        summary: 'deploy it',
        environment: 'qa',
        state: 'timed-out',
        attempts: 4,
        startedAt: '2027-01-15T08:01:01.005Z',
        endedAt: '2027-01-15T08:01:31.005Z',
        durationMs: 90_000,
        failure: 'activity StartToClose timeout',
      },
      {
        kind: 'update',
        eventId: 5,
        at: '2027-01-15T08:01:32.005Z',
        updateId: 'u1',
        name: 'decide',
        state: 'rejected',
        environment: 'qa',
        decision: 'approve',
        by: 'mallory',
        reason: 'mallory may not approve qa',
        endedAt: '2027-01-15T08:01:32.005Z',
      },
      {
        kind: 'update',
        eventId: 6,
        at: '2027-01-15T08:01:33.005Z',
        updateId: 'u2',
        name: 'decide',
        state: 'failed',
        environment: 'qa',
        decision: 'reject',
        by: 'sam',
        reason: 'gate closed',
        endedAt: '2027-01-15T08:01:34.005Z',
      },
      {
        kind: 'child',
        eventId: 8,
        at: '2027-01-15T08:01:35.005Z',
        workflowId: 'ferry-x-qa',
        workflowType: 'stage',
        state: 'start-failed',
        endedAt: '2027-01-15T08:01:36.005Z',
        durationMs: 1000,
        failure: 'a workflow with this ID already exists',
      },
      // An undecodable payload (encrypted by a codec) leaves only the name.
      { kind: 'signal', eventId: 10, at: '2027-01-15T08:01:37.005Z', name: 'approve' },
      // The causes' messages follow the failure's, each once.
      {
        kind: 'child',
        eventId: 11,
        at: '2027-01-15T08:01:38.005Z',
        workflowId: 'ferry-y-qa',
        workflowType: 'stage',
        environment: 'qa',
        state: 'failed',
        endedAt: '2027-01-15T08:01:39.005Z',
        durationMs: 1000,
        failure: 'Child Workflow execution failed: migration 003 failed',
      },
      { kind: 'workflow', eventId: 13, at: '2027-01-15T08:01:40.005Z', state: 'terminated', reason: 'stuck', identity: 'sre@laptop' },
    ]);
  });
});
