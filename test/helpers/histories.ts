import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import fs from 'node:fs';
import path from 'node:path';
import { statusQuery } from '../../common/messages';
import { REPO_ROOT } from './tools';

const { History } = temporal.api.history.v1;

export const HISTORIES_DIR = path.join(REPO_ROOT, 'test/histories');

/**
 * With FERRY_RECORD_HISTORIES=1 (`npm run test:record-histories`), saves the histories of a
 * finished promotion and its stages, for the replay test to hold future workflow code to.
 */
export async function recordHistories(env: TestWorkflowEnvironment, handle: WorkflowHandle): Promise<void> {
  if (!process.env.FERRY_RECORD_HISTORIES) return;
  const status = await handle.query(statusQuery);
  const ids = [handle.workflowId, ...status.environments.flatMap((e) => (e.stageWorkflowId ? [e.stageWorkflowId] : []))];
  const testName = (expect.getState().currentTestName ?? 'promotion')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 80);
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  for (const id of ids) {
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    // Named test__workflowId: replay needs the real ID, which the stage IDs derive from.
    // Binary protobuf: compact, and read by `ferry replay --file` like the JSON the Web UI gives.
    const bytes = History.encode(History.fromObject(history)).finish();
    // A rollback's ID holds slashes: escaped in the file name, read back by loadHistories.
    fs.writeFileSync(path.join(HISTORIES_DIR, `${testName}__${id.replaceAll('/', '%2F')}.history.pb`), bytes);
  }
}

/** The recorded histories, for replay. */
export function loadHistories(): { workflowId: string; history: temporal.api.history.v1.History }[] {
  if (!fs.existsSync(HISTORIES_DIR)) return [];
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((file) => file.endsWith('.history.pb'))
    .map((file) => ({ workflowId: decodeURIComponent(file.slice(file.indexOf('__') + 2, -'.history.pb'.length)), history: History.decode(fs.readFileSync(path.join(HISTORIES_DIR, file))) }));
}

/**
 * With FERRY_RECORD_HISTORIES=1, saves an environment lock's history as it stands idle: the harness
 * terminates open locks once a test's worker stops, and a closed recorded history must have
 * completed or failed. Named `-idle__`, which the timeline test takes as open, after the patch
 * baseline the run recorded: a test that records again after a new baseline adds a history beside
 * the older one instead of replacing the only one of its baseline. `runId`: an earlier run of the
 * lock, one that continued as new, named `-continued__` (the latest run by default).
 */
export async function recordIdleLockHistory(env: TestWorkflowEnvironment, lockId: string, runId?: string): Promise<void> {
  if (!process.env.FERRY_RECORD_HISTORIES) return;
  const events = ((await env.client.workflow.getHandle(lockId, runId).fetchHistory()).events ?? []).filter(
    (e) => e.eventType !== temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  );
  const testName = (expect.getState().currentTestName ?? 'lock')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 75)
    .replace(/-+$/, '');
  const baseline = patchMarkerIds(events).find((id) => id.startsWith('ferry-patches-baseline-')) ?? 'no-baseline';
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(HISTORIES_DIR, `${testName}-${baseline}-${runId ? 'continued' : 'idle'}__${lockId.replaceAll('/', '%2F')}.history.pb`),
    History.encode(History.fromObject({ events })).finish(),
  );
}

/** The patch IDs a history's patch markers name, in order. */
export function patchMarkerIds(events: temporal.api.history.v1.IHistoryEvent[]): string[] {
  return events
    .filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id : '?';
    });
}
