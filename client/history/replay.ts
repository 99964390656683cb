// Replays a recorded history against workflow code: would today's code carry this promotion on?
import { ferryBundlerOptions } from '../../common/workflow-bundle';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import fs from 'node:fs';
import { ferryDataConverter } from '../../common/data-converter';

type History = temporal.api.history.v1.IHistory;

export type ReplayResult = { ok: true } | { ok: false; nondeterministic: boolean; reason: string };

export interface ReplayOptions {
  /** The recorded run's workflow ID: a stage's environment and lock derive from it. */
  workflowId: string;
  /** The workflows module to replay against; Ferry's own by default. */
  workflowsPath?: string;
}

/**
 * Replays `history` on a replay worker. A history the code cannot reproduce command for command
 * is `nondeterministic`; any other failure (a workflow type the module lacks, an undecodable
 * history, a module that does not build) is reported with `nondeterministic: false`.
 */
export async function replayHistory(history: History, options: ReplayOptions): Promise<ReplayResult> {
  const workflowsPath = options.workflowsPath ?? require.resolve('../../workflows');
  try {
    await Worker.runReplayHistory(
      // The workers' converter, so a recorded undecodable signal replays as they saw it.
      { workflowsPath, bundlerOptions: ferryBundlerOptions(workflowsPath), dataConverter: ferryDataConverter },
      history,
      options.workflowId,
    );
    return { ok: true };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, nondeterministic: error instanceof DeterminismViolationError, reason };
  }
}

/**
 * Reads a history saved as binary protobuf (`History.encode`, as under test/histories) or as the
 * JSON that `temporal workflow show --output json` and the Web UI's download write. A `.json`
 * file is JSON and a `.pb` file binary; any other name is told by its first byte.
 */
export function historyFromFile(path: string): History {
  const bytes = fs.readFileSync(path);
  if (!isJson(path, bytes)) return temporal.api.history.v1.History.decode(bytes);
  const json: unknown = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  // Some tools save the bare list of events.
  const history = Array.isArray(json) ? { events: json } : json;
  try {
    return historyFromJSON(history);
  } catch (error) {
    if (error instanceof TypeError && /must be a Type/.test(error.message)) {
      throw new Error(
        `cannot read ${path}: this install has more than one copy of protobufjs (see \`npm ls protobufjs\`), ` +
          'so the SDK cannot read JSON histories; deduplicate it so @temporalio/common and @temporalio/proto share one',
        { cause: error },
      );
    }
    throw error;
  }
}

function isJson(path: string, bytes: Buffer): boolean {
  if (/\.json$/i.test(path)) return true;
  if (/\.(pb|bin|binpb)$/i.test(path)) return false;
  // An encoded History begins with its first event's tag, 0x0a; JSON with `{` or `[`, maybe after
  // spaces or a byte-order mark.
  const text = bytes
    .subarray(0, 64)
    .toString('utf8')
    .replace(/^[\uFEFF \t\r]+/, '');
  return text.startsWith('{') || text.startsWith('[');
}
