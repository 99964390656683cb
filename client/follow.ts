// `--wait` and `--watch`: follow a promotion until it ends. The outcome comes from waiting on
// the workflow's result (a long poll the server answers, with or without a worker); the status
// query only feeds the live view. A promotion may wait for days, through worker restarts and
// server blips: those are said once on stderr and waited out, and never decide the exit code.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { setTimeout as delay } from 'node:timers/promises';
import type { PromotionStatus } from '../common/status';
import { liveStatus } from './live-status';
import { hasStatus, outcomeOf, type Outcome } from './outcome';
import { briefly, isTransient } from './transient';

const POLL_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** A status query no worker picks up hangs until its deadline; this is how long we give it. */
const QUERY_DEADLINE_MS = 10_000;
const DESCRIBE_DEADLINE_MS = 5_000;

/** One line per step and environment, keyed by where it is. */
function rows(status: PromotionStatus | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!status) return map;
  const text = (state: string, note?: string) => (note ? `${state} — ${note}` : state);
  for (const s of status.steps) map.set(`${status.app} ${s.name}`, text(s.state, s.error ?? s.detail));
  for (const env of status.environments) {
    map.set(env.name, text(env.state, env.error));
    for (const s of env.steps) map.set(`${env.name} ${s.name}`, text(s.state, s.error ?? s.detail));
  }
  return map;
}

/** Lines for what changed between two looks at a promotion. */
export function changes(before: PromotionStatus | undefined, after: PromotionStatus): string[] {
  const old = rows(before);
  return [...rows(after)].filter(([where, text]) => old.get(where) !== text && text !== 'pending').map(([where, text]) => `${where}: ${text}`);
}

/** What a follower says while it waits something out: once per outage, not once per retry. */
export class WaitNotices {
  private readonly said = new Set<'worker' | 'server'>();

  constructor(
    private readonly workflowId: string,
    private readonly warn: (line: string) => void,
  ) {}

  noWorker(reason: string): void {
    this.say('worker', `ferry: waiting for a worker to answer for ${this.workflowId} (${reason}); the promotion goes on meanwhile and its outcome decides the exit code`);
  }

  noServer(reason: string): void {
    this.say('server', `ferry: waiting for the Temporal server (${reason}); the promotion goes on meanwhile and its outcome decides the exit code`);
  }

  serverAnswered(): void {
    this.said.delete('server');
  }

  workerAnswered(): void {
    this.said.clear();
  }

  private say(kind: 'worker' | 'server', line: string): void {
    if (this.said.has(kind)) return;
    this.said.add(kind);
    this.warn(line);
  }
}

/** Waits for the promotion to close, waiting out an unreachable server with backoff. */
export async function waitForOutcome(client: Client, workflowId: string, notices: WaitNotices): Promise<Outcome> {
  for (let backoff = POLL_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    try {
      return await outcomeOf(client, workflowId);
    } catch (error) {
      if (!isTransient(error)) throw error;
      notices.noServer(briefly(error));
      await delay(backoff);
    }
  }
}

export interface FollowOptions {
  /** Called with each status the live view gets (the demo approves from here). */
  onStatus?: (status: PromotionStatus) => Promise<void>;
  /** Where waiting notices go; stderr by default, so `--json` stays clean. */
  warn?: (line: string) => void;
}

/** Prints each step as it changes until the promotion ends; returns what it came to. */
export async function follow(client: Client, workflowId: string, print: (line: string) => void, options: FollowOptions = {}): Promise<Outcome> {
  const notices = new WaitNotices(workflowId, options.warn ?? ((line) => console.error(line)));
  let ended = false;
  const outcome = waitForOutcome(client, workflowId, notices).finally(() => (ended = true));
  const settled = outcome.then(
    () => undefined,
    () => undefined,
  );
  let last: PromotionStatus | undefined;

  const live = async () => {
    for (let backoff = POLL_MS; !ended; await Promise.race([delay(backoff), settled])) {
      let status: PromotionStatus;
      try {
        status = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => liveStatus(client, workflowId));
      } catch (error) {
        if (ended || error instanceof WorkflowNotFoundError) return;
        // Is it the server, or only the worker that would answer the query?
        const serverUp = await client
          .withDeadline(Date.now() + DESCRIBE_DEADLINE_MS, () => client.workflow.getHandle(workflowId).describe())
          .then(
            () => true,
            () => false,
          );
        if (serverUp) {
          notices.serverAnswered();
          notices.noWorker(briefly(error));
        } else notices.noServer(briefly(error));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      notices.workerAnswered();
      backoff = POLL_MS;
      for (const line of changes(last, status)) print(line);
      last = status;
      await options.onStatus?.(status);
    }
  };

  const [result] = await Promise.all([outcome, live()]);
  if (hasStatus(result)) for (const line of changes(last, result)) print(line);
  return result;
}
