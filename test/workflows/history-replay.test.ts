import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { historyFromFile, replayHistory } from '../../client/history/replay';
import { timelineOf } from '../../client/history/timeline';
import { samplePlan } from '../helpers/fixtures';
import { HISTORIES_DIR } from '../helpers/histories';
import { locksSettled, outcome, startPromotion } from '../helpers/promotions';
import { stubActivities } from '../helpers/stub-activities';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal-env';
import { toolPaths } from '../helpers/tools';

const { History } = temporal.api.history.v1;
const INCOMPATIBLE = require.resolve('../fixtures/incompatible-workflows');

/** A recorded history under test/histories, found by the recording test's name (SHAs change on re-recording). */
function recordedFile(test: string, environment?: string): { file: string; workflowId: string } {
  const name = fs
    .readdirSync(HISTORIES_DIR)
    .sort()
    .find((f) => {
      const id = f.slice(f.indexOf('__') + 2, -'.history.pb'.length);
      return f.startsWith(test) && (environment ? id.endsWith(`-${environment}`) : /^ferry-shop-[0-9a-f]{7}$/.test(id));
    });
  if (!name) throw new Error(`no recorded history of "${test}" under ${HISTORIES_DIR}`);
  return { file: path.join(HISTORIES_DIR, name), workflowId: name.slice(name.indexOf('__') + 2, -'.history.pb'.length) };
}

const QUORUM = 'production-approval-a-quorum-of-2-';
const CANARY_FAILS = 'a-stage-that-fails-is-undone-and-the-promotion-stops-there-canary-analysis-';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-history-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('a recorded history', () => {
  test('replays against the current workflow code', async () => {
    const promotion = recordedFile(QUORUM);
    expect(await replayHistory(historyFromFile(promotion.file), { workflowId: promotion.workflowId })).toEqual({ ok: true });
    const stage = recordedFile(CANARY_FAILS, 'staging');
    expect(await replayHistory(historyFromFile(stage.file), { workflowId: stage.workflowId })).toEqual({ ok: true });
  });

  test('does not replay against code that issues other commands: a nondeterminism, with the reason', async () => {
    const { file, workflowId } = recordedFile(QUORUM);
    const result = await replayHistory(historyFromFile(file), { workflowId, workflowsPath: INCOMPATIBLE });
    expect(result).toEqual({ ok: false, nondeterministic: true, reason: expect.stringMatching(/nondetermin/i) });
    // The reason names what the code did instead of what the history holds.
    expect(result.ok || result.reason).toMatch(/timer/i);
  });

  test('of a workflow type the code lacks fails, but not as a nondeterminism', async () => {
    const { file, workflowId } = recordedFile(QUORUM);
    const history = historyFromFile(file);
    history.events![0].workflowExecutionStartedEventAttributes!.workflowType!.name = 'noSuchWorkflow';
    const result = await replayHistory(history, { workflowId });
    expect(result).toEqual({ ok: false, nondeterministic: false, reason: expect.stringContaining('noSuchWorkflow') });
  });
});

describe('histories saved by the Temporal CLI as JSON', () => {
  let env: TestWorkflowEnvironment;
  let promotionId: string;
  beforeAll(async () => {
    env = await startTimeSkippingServer();
    const plan = samplePlan((config) => {
      config.environments = config.environments.filter((e) => e.name !== 'production');
    });
    const worker = await startWorker(env, stubActivities().activities);
    const status = await worker.runUntil(async () => {
      const status = await outcome(await startPromotion(env, plan));
      await locksSettled(env, status);
      return status;
    });
    expect(status.state).toBe('succeeded');
    promotionId = status.workflowId;
  });
  afterAll(() => env?.teardown());

  /** `temporal workflow show --output json`, as an SRE or CI would save it, and the same history as binary protobuf. */
  async function saved(workflowId: string): Promise<{ json: string; binary: string }> {
    const { stdout } = await promisify(execFile)(
      toolPaths().temporal,
      ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', env.address, '--namespace', env.namespace ?? 'default'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const json = path.join(tmp, `${workflowId}.json`);
    fs.writeFileSync(json, stdout);
    const fetched = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const binary = path.join(tmp, `${workflowId}.history.pb`);
    fs.writeFileSync(binary, History.encode(History.fromObject(fetched)).finish());
    return { json, binary };
  }

  test('read as the same history as the binary one', async () => {
    for (const workflowId of [promotionId, `${promotionId}-staging`]) {
      const { json, binary } = await saved(workflowId);
      expect(fs.readFileSync(json, 'utf8')).toMatch(/^\{\s*"events": \[/);
      const fromJson = historyFromFile(json);
      const fromBinary = historyFromFile(binary);
      expect(fromJson.events).toHaveLength(fromBinary.events!.length);
      expect(fromJson.events!.map((e) => e.eventType)).toEqual(fromBinary.events!.map((e) => e.eventType));
      // Payloads, summaries, IDs and times come through alike.
      expect(timelineOf(fromJson)).toEqual(timelineOf(fromBinary));
      expect(timelineOf(fromJson).filter((e) => e.kind === 'activity').length).toBeGreaterThan(2);
    }
  });

  test('replay with the same results as the binary one', async () => {
    const { json, binary } = await saved(promotionId);
    const results = [];
    for (const file of [json, binary]) {
      const history = historyFromFile(file);
      results.push([await replayHistory(history, { workflowId: promotionId }), await replayHistory(history, { workflowId: promotionId, workflowsPath: INCOMPATIBLE })]);
    }
    expect(results[0][0]).toEqual({ ok: true });
    expect(results[0][1]).toEqual({ ok: false, nondeterministic: true, reason: expect.stringMatching(/nondetermin/i) });
    expect(results[1]).toEqual(results[0]);
  });

  test('older downloads, with enum names in PascalCase or a bare list of events, read alike', () => {
    const cliFile = path.join(tmp, `${promotionId}.json`);
    const cli = JSON.parse(fs.readFileSync(cliFile, 'utf8')) as { events: Record<string, unknown>[] };
    const legacy = cli.events.map((e) => ({ ...e, eventType: pascal(String(e.eventType).replace(/^EVENT_TYPE_/, '')) }));
    expect(legacy[0].eventType).toBe('WorkflowExecutionStarted');
    const legacyFile = path.join(tmp, 'legacy-download'); // no extension: told apart by its first byte
    fs.writeFileSync(legacyFile, JSON.stringify(legacy));
    expect(timelineOf(historyFromFile(legacyFile))).toEqual(timelineOf(historyFromFile(cliFile)));
    expect(historyFromFile(legacyFile).events!.map((e) => e.eventType)).toEqual(historyFromFile(cliFile).events!.map((e) => e.eventType));
  });
});

const pascal = (constant: string) => constant.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
