import {
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setDefaultSignalHandler,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LockParty } from '../common/activity-contracts';
import { keepRefusal, parseMessage, refusal } from '../common/inbound-message';
import {
  lockAcquireSignal,
  lockClaimsQuery,
  lockGrantedSignal,
  lockGrantSchema,
  lockReleaseSignal,
  lockRequestSchema,
  lockStateQuery,
  unlockPayloadSchema,
  unlockUpdate,
  type LockState,
} from '../common/messages';
import type { IgnoredMessage } from '../common/status';
import { lockActivities } from './activities';

const { requestLock, grantLock, checkHolder, confirmGrant } = lockActivities();

/**
 * How often the lock asks a holder that has not released it whether it still holds it: soon
 * after the grant, then less often, never less than every five minutes. That is how long a
 * terminated or timed-out promotion keeps its environment at most.
 */
const FIRST_CHECK_MS = 30_000;
const LAST_CHECK_MS = 5 * 60_000;
const PASSED_ON_KEPT = 20;

export interface LockInput {
  queue: LockParty[];
  holder?: LockParty & { since: string };
  passedOn?: LockState['passedOn'];
  ignoredCount?: number;
}

/**
 * One per (app, environment): hands the environment to one promotion at a time, first come
 * first served. No message moves it by itself: a request is honoured only if the requester
 * says (by query) that it wants the lock, and a release only once the holder says it no longer
 * holds it. A holder that closed without releasing is found by asking it, and passed over.
 */
export async function environmentLock(input: LockInput = { queue: [] }): Promise<void> {
  const lockId = workflowInfo().workflowId;
  const queue = [...input.queue];
  let holder = input.holder;
  const passedOn = [...(input.passedOn ?? [])];
  const ignored: IgnoredMessage[] = [];
  let ignoredCount = input.ignoredCount ?? 0;
  let releaseHinted = false;
  let unlocked: string | undefined;

  const ignore = (name: string, reason: string, raw: unknown) => {
    ignoredCount = keepRefusal(ignored, refusal(name, reason, raw, new Date().toISOString()), ignoredCount);
  };
  const state = (): LockState => ({
    lockId,
    holder: holder?.workflowId,
    holderRunId: holder?.runId,
    since: holder?.since,
    queue: queue.map((party) => party.workflowId),
    passedOn,
    ignored,
    ignoredCount,
  });
  const isHolder = (party: LockParty) => holder?.workflowId === party.workflowId && holder.runId === party.runId;
  const queued = (party: LockParty) => queue.some((q) => q.workflowId === party.workflowId && q.runId === party.runId);

  setHandler(lockStateQuery, state);
  setHandler(lockAcquireSignal, (raw) => {
    const parsed = parseMessage(lockRequestSchema, raw);
    if (!parsed.ok) return ignore('acquire', parsed.reason, raw);
    const party = { workflowId: parsed.data.requester, runId: parsed.data.runId };
    // Anyone may queue anything; the grant asks the requester itself before it counts.
    if (!isHolder(party) && !queued(party)) queue.push(party);
  });
  setHandler(lockReleaseSignal, (raw) => {
    const parsed = parseMessage(lockRequestSchema, raw);
    if (!parsed.ok) return ignore('release', parsed.reason, raw);
    // Only a hint to ask the holder now; a queued requester that gives up is passed over at its turn.
    if (holder?.workflowId === parsed.data.requester) releaseHinted = true;
  });
  setHandler(
    unlockUpdate,
    (raw) => {
      const { by, reason } = unlockPayloadSchema.parse(raw);
      unlocked = `unlocked by ${by}: ${reason}`;
      return state();
    },
    {
      validator: (raw) => {
        const parsed = parseMessage(unlockPayloadSchema, raw);
        if (!parsed.ok) throw new Error(parsed.reason);
        if (!holder) throw new Error(`nobody holds ${lockId}`);
        if (parsed.data.holder !== holder.workflowId) {
          throw new Error(`${lockId} is held by ${holder.workflowId}, not ${parsed.data.holder}`);
        }
      },
    },
  );

  // Last: setting it hands it every buffered signal that has no handler yet.
  setDefaultSignalHandler((name, ...args) => ignore(name, 'an environment lock takes no such signal', args[0]));
  const passOn = (why: string) => {
    passedOn.push({ at: new Date().toISOString(), holder: holder!.workflowId, why });
    if (passedOn.length > PASSED_ON_KEPT) passedOn.splice(0, passedOn.length - PASSED_ON_KEPT);
    holder = undefined;
  };

  /**
   * Runs a call to the holder's side, but an operator's unlock does not wait for it: the call
   * may never return when the holder cannot answer (its worker gone), and that is exactly when
   * an operator unlocks. Undefined when the unlock came first.
   */
  async function unlessUnlocked<T>(call: () => Promise<T>): Promise<T | undefined> {
    const calling = new CancellationScope();
    const watching = new CancellationScope();
    const answer = calling.run(call);
    const unlockedFirst = watching.run(() => condition(() => unlocked !== undefined));
    try {
      return await Promise.race([answer, unlockedFirst.then(() => undefined)]);
    } finally {
      calling.cancel();
      watching.cancel();
      answer.catch(() => undefined);
      unlockedFirst.catch(() => undefined);
    }
  }

  /** Waits until the holder gives the lock up, closes, or an operator takes it. */
  async function holdFor(party: LockParty): Promise<void> {
    for (let wait = FIRST_CHECK_MS; ; wait = Math.min(wait * 2, LAST_CHECK_MS)) {
      await condition(() => releaseHinted || unlocked !== undefined, wait);
      if (unlocked) return passOn(unlocked);
      const hinted = releaseHinted;
      releaseHinted = false;
      const check = await unlessUnlocked(() => checkHolder({ lockId, holder: party }, `does ${party.workflowId} still hold ${lockId}?`));
      if (!check) return passOn(unlocked!);
      if (!check.holds) {
        if (hinted) holder = undefined; // released as it should be: nothing to record
        else passOn(`the holder no longer holds it: ${check.why}`);
        return;
      }
      if (hinted) ignore('release', `${party.workflowId} still holds ${lockId}: a release counts only from the holder`, undefined);
      if (workflowInfo().continueAsNewSuggested) return continueAsNew<typeof environmentLock>(carried());
    }
  }

  const carried = (): LockInput => ({ queue, holder, passedOn, ignoredCount });

  if (holder) await holdFor(holder);
  for (;;) {
    // Nobody waiting: end, and let the next promotion start a fresh lock.
    if (queue.length === 0) return;
    if (workflowInfo().continueAsNewSuggested) return continueAsNew<typeof environmentLock>(carried());
    const next = queue.shift()!;
    holder = { ...next, since: new Date().toISOString() };
    releaseHinted = false;
    unlocked = undefined;
    const granted = await unlessUnlocked(() => grantLock({ lockId, holder: next }, `grant ${lockId} to ${next.workflowId}`));
    if (granted === undefined) {
      passOn(unlocked!);
      continue;
    }
    if (granted === 'gone') {
      holder = undefined; // it closed or gave up while it waited
      continue;
    }
    await holdFor(next);
  }
}

/**
 * The requester's side: ask, wait for the grant, release when done. A grant signal is only a
 * hint: anyone can send one from the Web UI, so it counts once the lock itself confirms it.
 */
export class EnvironmentLockClient {
  private readonly wanted = new Set<string>();
  private readonly held = new Set<string>();
  private readonly hinted = new Set<string>();

  constructor(private readonly ignore: (signal: string, reason: string, payload: unknown) => void) {
    setHandler(lockClaimsQuery, () => ({ wanted: [...this.wanted], held: [...this.held] }));
    setHandler(lockGrantedSignal, (raw) => {
      const parsed = parseMessage(lockGrantSchema, raw);
      if (!parsed.ok) return this.ignore('lockGranted', parsed.reason, raw);
      if (!this.wanted.has(parsed.data.lock)) return this.ignore('lockGranted', `${parsed.data.lock} was not asked for`, raw);
      this.hinted.add(parsed.data.lock);
    });
  }

  /** Resolves true once this workflow holds the lock, false if `interrupted()` came first. */
  async acquire(lockId: string, interrupted: () => boolean): Promise<boolean> {
    const me = { workflowId: workflowInfo().workflowId, runId: workflowInfo().runId };
    this.wanted.add(lockId);
    await requestLock({ lockId, requester: me, taskQueue: workflowInfo().taskQueue }, `queue for ${lockId}`);
    for (;;) {
      await condition(() => this.hinted.has(lockId) || interrupted());
      if (!this.hinted.delete(lockId)) break;
      if (await confirmGrant({ lockId, requester: me }, `confirm that ${lockId} is ours`)) {
        this.wanted.delete(lockId);
        this.held.add(lockId);
        return true;
      }
      this.ignore('lockGranted', `${lockId} does not name this promotion as its holder`, { lock: lockId });
    }
    await this.release(lockId); // leave the queue so the next promotion is not held up
    return false;
  }

  async release(lockId: string): Promise<void> {
    this.wanted.delete(lockId);
    this.held.delete(lockId);
    const me = workflowInfo();
    await getExternalWorkflowHandle(lockId)
      .signal(lockReleaseSignal, { requester: me.workflowId, runId: me.runId })
      .catch(() => undefined); // the lock may have ended; it would have found us gone anyway
  }
}
