// How the CLI names what a promotion came to: list states, waiting notices, transient errors,
// and the tables for refusals and for promotions ended from outside.
import { listedState, listQuery } from '../../client/commands/inspect';
import { WaitNotices } from '../../client/follow';
import { endedTable, statusTable } from '../../client/status-table';
import { isTransient } from '../../client/transient';
import type { PromotionStatus } from '../../common/status';

test('a promotion ended from outside is listed as Temporal ended it, not as its search attributes last said', () => {
  expect(listedState('TERMINATED', 'waiting')).toBe('terminated');
  expect(listedState('TIMED_OUT', 'waiting')).toBe('timed-out');
  expect(listedState('CANCELLED', 'running')).toBe('cancelled');
  expect(listedState('RUNNING', 'waiting')).toBe('waiting');
  expect(listedState('RUNNING', undefined)).toBe('running');
  expect(listedState('COMPLETED', 'waiting')).toBe('succeeded');
  expect(listedState('FAILED', 'rejected')).toBe('rejected');
  expect(listedState('FAILED', 'running')).toBe('failed');
});

test('--state filters on what Temporal knows for closings, and keeps closed runs out of running and waiting', () => {
  expect(listQuery({ state: 'terminated' })).toBe(`WorkflowType = 'promotion' AND ExecutionStatus = 'Terminated'`);
  expect(listQuery({ app: 'shop', state: 'waiting' })).toBe(`WorkflowType = 'promotion' AND FerryApp = 'shop' AND FerryState = 'waiting' AND ExecutionStatus = 'Running'`);
  expect(listQuery({ state: 'rejected' })).toBe(`WorkflowType = 'promotion' AND FerryState = 'rejected' AND ExecutionStatus IN ('Completed', 'Failed')`);
});

test('waiting is said once per outage and per cause, again only after an answer', () => {
  const lines: string[] = [];
  const notices = new WaitNotices('ferry-shop-1234567', (line) => lines.push(line));
  notices.noWorker('deadline exceeded');
  notices.noWorker('deadline exceeded');
  notices.noServer('14 UNAVAILABLE');
  notices.noServer('14 UNAVAILABLE');
  notices.serverAnswered();
  notices.noWorker('deadline exceeded');
  expect(lines.map((l) => l.split(' (')[0])).toEqual(['ferry: waiting for a worker to answer for ferry-shop-1234567', 'ferry: waiting for the Temporal server']);
  notices.workerAnswered();
  notices.noWorker('deadline exceeded');
  expect(lines).toHaveLength(3);
});

test('server blips are transient, wrong requests are not', () => {
  const grpc = (code: number) => Object.assign(new Error(`${code} grpc`), { code });
  expect(isTransient(new Error('Failed to get history', { cause: grpc(14) }))).toBe(true);
  expect(isTransient(grpc(4))).toBe(true);
  expect(isTransient(grpc(5))).toBe(false); // NOT_FOUND
  expect(isTransient(grpc(3))).toBe(false); // INVALID_ARGUMENT
  expect(isTransient(new Error('no code'))).toBe(false);
});

test('refused messages are listed under the status: when, what, from whom, why', () => {
  const status: PromotionStatus = {
    workflowId: 'ferry-shop-1234567',
    app: 'shop',
    ref: 'main',
    sha: '1234567890',
    artifact: 'shop:1234567',
    state: 'waiting',
    startedAt: '2025-01-01T00:00:00.000Z',
    steps: [],
    environments: [],
    ignored: [{ name: 'approve', at: '2025-01-01T00:05:00.000Z', from: 'mallory', reason: 'mallory may not approve production', payload: '{"environment":"production"}' }],
    ignoredCount: 7,
  };
  const text = statusTable(status);
  expect(text).toContain('refused messages: 7 (the latest 1)');
  expect(text).toMatch(/2025-01-01T00:05:00.000Z\s+approve\s+mallory\s+mallory may not approve production/);
});

test('a terminated promotion says who ended it, why, and where it was', () => {
  const text = endedTable({
    workflowId: 'ferry-shop-1234567',
    state: 'terminated',
    commit: '1234567890',
    endedAt: '2025-01-01T00:00:00.000Z',
    by: 'sre@host',
    reason: 'stuck',
    lastSeen: { state: 'waiting', environment: 'production', stage: 'approval' },
  });
  expect(text.split('\n').slice(0, 3)).toEqual(['ferry-shop-1234567  (1234567)  TERMINATED at 2025-01-01T00:00:00.000Z by sre@host', 'reason: stuck', 'it was last waiting in production (approval)']);
});
