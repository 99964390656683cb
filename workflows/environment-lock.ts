import {
  type ActivityOptions,
  type LocalActivityOptions,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setDefaultSignalHandler,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { hasPatch, takePatchBaseline } from './patches';
import type { LockActivities, LockParty } from '../common/activity-contracts';
import { FailureType } from '../common/errors';
import { keepRefusal, parseMessage, refusal } from '../common/inbound-message';
import { describeIssues } from '../common/problems';
import {
  ledgerQuery,
  recordReleaseUpdate,
  releaseRecordSchema,
  UNRECORDED_WHY_MAX,
  type EnvironmentLedger,
  type LedgerAttempt,
  type LedgerRelease,
  type LedgerUnrecorded,
  type ReleaseRecord,
} from '../common/ledger';
import { checkAsksTheHolder, type HolderCheck } from '../common/holder-check';
import { lockSubject, withRecord, type LedgerEntries } from '../common/ledger-keeping';
import {
  lockAcquireSignal,
  lockClaimsQuery,
  lockGrantedSignal,
  lockGrantSchema,
  lockReleaseSignal,
  lockRequestSchema,
  lockRequestUpdate,
  lockStateQuery,
  unlockPayloadSchema,
  unlockUpdate,
  type LockState,
} from '../common/messages';
import type { IgnoredMessage } from '../common/status';
import { lockActivities, lockHandoverActivities } from './activities';
import { rootMessage } from './step-log';

const { requestLock, grantLock, checkHolder, confirmGrant } = lockActivities();
const handover = lockHandoverActivities();

/**
 * Recording is bounded on both sides, unlike queueing: a holder whose lock or worker cannot
 * answer gives up after a few tries (and goes on, see the promotion) instead of keeping the
 * environment; a refusal is an answer, never retried.
 */
const LEDGER_CALLS = {
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 5, maximumInterval: '10s', nonRetryableErrorTypes: [FailureType.InvalidInput] },
} satisfies ActivityOptions;
const ledgerCalls = proxyActivities<Record<string, (input: unknown) => Promise<unknown>>>(LEDGER_CALLS);
/** Each call names its purpose, so the Web UI's event history reads like the pipeline. */
const summarized =
  <K extends 'recordRelease' | 'readRecord' | 'readHolderRecord'>(name: K) =>
  (input: Parameters<LockActivities[K]>[0], summary: string): ReturnType<LockActivities[K]> =>
    ledgerCalls[name].executeWithOptions({ ...LEDGER_CALLS, summary }, [input]) as ReturnType<LockActivities[K]>;
const recordRelease = summarized('recordRelease');
const readRecord = summarized('readRecord');
const readHolderRecord = summarized('readHolderRecord');
/** As bounded, run in the lock's own workflow task (see LOCK_HANDOVER_LOCAL). */
const LOCAL_LEDGER_CALLS = { ...LEDGER_CALLS, startToCloseTimeout: '30s', localRetryThreshold: '2s' } satisfies LocalActivityOptions;
const localLedgerCalls = proxyLocalActivities<Pick<LockActivities, 'readHolderRecord'>>(LOCAL_LEDGER_CALLS);
const readHolderRecordLocally = (input: Parameters<LockActivities['readHolderRecord']>[0], summary: string) =>
  localLedgerCalls.readHolderRecord.executeWithOptions({ ...LOCAL_LEDGER_CALLS, summary }, [input]);

/** Since this change, the lock keeps its environment's ledger and stays open while nobody waits for it. */
const LOCK_KEEPS_LEDGER = 'lock-keeps-ledger';
/**
 * A lock that keeps its ledger lives as long as its environment: it starts over (continue-as-new)
 * well before Temporal's 10,000-event warning, and whenever the server suggests it.
 */
const HISTORY_EVENTS_KEPT = 2_000;
/**
 * Since this change, a holder that says (by its own query) that it leaves once recorded is let go
 * when its record is written: no release signal, no check of the holder after it.
 */
const RECORD_FREES_HOLDER = 'record-frees-holder';
/**
 * An idle lock wakes once a week (and goes back to waiting). Nothing is due then; it is there so
 * that a server never jumps from an idle lock's last event to its execution timeout: the
 * time-skipping test server gives every workflow a ten-year one, and skips to the next timer as
 * soon as nothing else is due, which ended the lock (and its ledger) in tests.
 */
const LOCK_WAKES_WHEN_IDLE = 'lock-wakes-when-idle';
const WEEKLY_WAKE = '7 days';
/**
 * Since this change, the weekly wake is one timer the run keeps going whatever the lock does, not
 * one started for each idle spell: a lock that goes idle and busy with every promotion no longer
 * starts a timer and cancels it each time (two events), and its idle wait is not a timed one (the
 * SDK's timed condition makes about a dozen promises, each traced for the Web UI's stack view).
 */
const LOCK_WAKES_WEEKLY = 'lock-wakes-weekly';
/**
 * Since this change, the calls that hand the environment over (request, grant, confirm, read the
 * holder's record) are local activities: each one an event in the history instead of six, and no
 * workflow task to report it. Asking the holder itself whether it still holds the lock stays an
 * activity: the holder's query may take a while, and the lock answers queries and an unlock meanwhile.
 */
export const LOCK_HANDOVER_LOCAL = 'lock-handover-local';
/**
 * Since this change, a check of a holder that claimed the lock (only whether its run is still
 * open, asked of the server) is a local activity, in the workflow task its timer wakes: one marker
 * event instead of an activity's three and a second workflow task.
 */
const LOCK_CHECKS_OPEN_RUN_LOCALLY = 'lock-checks-open-run-locally';
/**
 * Since this change, a holder nobody waits behind is checked every five minutes, not 30 s after
 * the grant and at doubling waits: a check only frees the lock for whoever waits next, and keeps
 * what the ledger says runs there true, which five minutes does. Someone who comes to wait has the
 * holder checked at once, and again at the doubling waits while anyone waits.
 */
const LOCK_CHECKS_WHEN_WAITED_ON = 'lock-checks-when-waited-on';
/**
 * Since this change, a held lock's run that has had its fill of messages or events starts over as
 * soon as it has read them (a release or a newcomer among them answered first, and a check of the
 * holder under way finished), not at its next check: a burst of messages could otherwise grow its
 * history for five minutes. A run that starts over while the lock is held checks its holder at
 * once, so that a steady burst, which ends every run early, cannot put the check off for good.
 */
const LOCK_STARTS_OVER_WHEN_FULL = 'lock-starts-over-when-full';
/**
 * Since this change, a promotion asks for a lock by update: a free lock answers 'granted' at once,
 * in place of a grant signal and a confirmation; a busy one answers 'queued', and the grant comes
 * as before.
 */
const LOCK_ASKED_BY_UPDATE = 'lock-asked-by-update';
/** Each message is an event or more: counted as well, so a burst of them ends the run without relying on how a server reports the history's length. */
export const MESSAGES_PER_RUN = 500;

/**
 * How often the lock asks a holder that has not released it whether it still holds it: while
 * anyone waits, soon, then less often; never less than every five minutes. That is how long a
 * terminated or timed-out promotion keeps its environment at most.
 */
const FIRST_CHECK_MS = 30_000;
const LAST_CHECK_MS = 5 * 60_000;
const PASSED_ON_KEPT = 20;

export interface LockInput {
  queue: LockParty[];
  /**
   * `recorded`: the holder has written its record; a second one from the same run is not appended.
   * `byRequest`: granted to a request update naming it (sent by anyone), not by a grant signal.
   * `onItsWord`: so granted, and not yet asked (its own query) whether it wants the lock.
   * `askedAgain`: such a holder queued by signal too (a request's answer never reached it, or it
   * asked the older way): it is granted again the way a queued promotion is.
   * `claimed`: its own query said it claimed the lock, and no release in its name has come since:
   * a check asks only whether its run is open. A run takes it from no input (see unclaimed).
   */
  holder?: LockParty & { since: string; recorded?: boolean; byRequest?: boolean; onItsWord?: boolean; askedAgain?: boolean; claimed?: boolean };
  /** A release in the holder's name came as the run before ended, and was not yet asked about. */
  releaseHinted?: boolean;
  passedOn?: LockState['passedOn'];
  ignoredCount?: number;
  /** The ledger, carried through continue-as-new (absent from older Ferry). */
  releases?: LedgerRelease[];
  lastAttempt?: LedgerAttempt;
  unrecorded?: LedgerUnrecorded;
  /** The last holder let go with its record, so that a retry of that record is answered in the next run too. */
  leftRecorded?: LockParty;
}

/**
 * A run's holder as its input gives it: claimed only once its own query says so in this run. A
 * release handled as the run before ended may have undone the claim, and a lock started by hand
 * names whoever it likes.
 */
function unclaimed(holder: LockInput['holder']): LockInput['holder'] {
  if (!holder) return undefined;
  const next = { ...holder };
  delete next.claimed;
  return next;
}

/**
 * One per (app, environment): hands the environment to one promotion at a time, first come
 * first served. No message moves it by itself: a request is honoured only if the requester
 * says (by query) that it wants the lock, and a release only once the holder says it no longer
 * holds it. A holder that closed without releasing is found by asking the server, and passed over.
 *
 * It also keeps the environment's ledger: what its holders did with it, recorded by the holder
 * only, and read back from the holder's own query (never from the message that asks for it).
 */
export async function environmentLock(input: LockInput = { queue: [] }): Promise<void> {
  takePatchBaseline();
  const lockId = workflowInfo().workflowId;
  // Locks started before this ended when nobody waited, and replay so.
  const keepsLedger = hasPatch(LOCK_KEEPS_LEDGER);
  // Asked in the run's first task, as every patch here: asked later, outside replay, a run that
  // recorded an older baseline would take the patch in mid-run.
  const wakesWeekly = hasPatch(LOCK_WAKES_WEEKLY);
  const checksWhenWaitedOn = hasPatch(LOCK_CHECKS_WHEN_WAITED_ON);
  const startsOverWhenFull = hasPatch(LOCK_STARTS_OVER_WHEN_FULL);
  const calls = hasPatch(LOCK_HANDOVER_LOCAL) ? { grantLock: handover.grantLock, readHolderRecord: readHolderRecordLocally } : { grantLock, readHolderRecord };
  const queue = [...input.queue];
  let holder = unclaimed(input.holder);
  const passedOn = [...(input.passedOn ?? [])];
  const ignored: IgnoredMessage[] = [];
  let ignoredCount = input.ignoredCount ?? 0;
  let releaseHinted = startsOverWhenFull && input.releaseHinted === true;
  let askingAboutHolder = false;
  /** The holder said, by its own query, that it leaves once recorded; and it is recorded. */
  let holderLeft = false;
  /** The last holder let go that way: a retry of its record (its answer lost) is answered, not refused. */
  let leftRecorded: LockParty | undefined = input.leftRecorded;
  const isLeftRecorded = (party: LockParty) => leftRecorded?.workflowId === party.workflowId && leftRecorded.runId === party.runId;
  let unlocked: string | undefined;
  let entries: LedgerEntries = { releases: input.releases ?? [], lastAttempt: input.lastAttempt, unrecorded: input.unrecorded };

  let messagesThisRun = 0;
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
  const ledger = (): EnvironmentLedger => ({
    lockId,
    ...lockSubject(lockId),
    releases: entries.releases,
    lastAttempt: entries.lastAttempt,
    unrecorded: entries.unrecorded,
    holder: holder?.workflowId,
    queue: queue.map((party) => party.workflowId),
  });
  const refuseRecord = (reason: string, raw: unknown): never => {
    ignore('recordRelease', reason, raw);
    throw ApplicationFailure.nonRetryable(reason, FailureType.InvalidInput);
  };

  setHandler(lockStateQuery, state);
  setHandler(ledgerQuery, ledger);
  setHandler(
    recordReleaseUpdate,
    async (raw) => {
      messagesThisRun++;
      const { requester, runId } = lockRequestSchema.parse(raw);
      const party = { workflowId: requester, runId };
      if ((holder?.recorded && isHolder(party)) || isLeftRecorded(party)) return ledger(); // a retried record: written once
      let record: ReleaseRecord | undefined;
      let leaving = false;
      try {
        const summary = `read what ${requester} did with ${lockId}`;
        if (hasPatch(RECORD_FREES_HOLDER)) ({ record, leaving } = await calls.readHolderRecord({ lockId, holder: party }, summary));
        else record = await readRecord({ lockId, holder: party }, summary);
      } catch (error) {
        throw ApplicationFailure.nonRetryable(`${lockId} could not read the record of ${requester} from its own query: ${rootMessage(error)}`, FailureType.NotAvailable);
      }
      if (!record) return refuseRecord(`${requester} has no record for ${lockId} in its own lockClaims answer: only the holder's own record counts`, raw);
      const parsed = releaseRecordSchema.safeParse(record);
      if (!parsed.success) return refuseRecord(`the record of ${requester} for ${lockId} is malformed: ${describeIssues(parsed.error).join('; ')}`, raw);
      const by = parsed.data.outcome === 'live' ? parsed.data.release.by : parsed.data.attempt.by;
      if (by !== requester) return refuseRecord(`the record of ${requester} names ${by} as its maker: a holder records only what it did itself`, raw);
      // Asked again after the await: an operator may have taken the lock meanwhile, or a retry recorded it.
      if (isLeftRecorded(party)) return ledger();
      if (!isHolder(party)) return refuseRecord(`${requester} no longer holds ${lockId}`, raw);
      if (holder!.recorded) return ledger();
      entries = withRecord(entries, parsed.data);
      holder!.recorded = true;
      holderLeft = leaving;
      if (leaving) leftRecorded = party;
      return ledger();
    },
    {
      validator: (raw) => {
        const parsed = parseMessage(lockRequestSchema, raw);
        if (!parsed.ok) throw new Error(parsed.reason);
        const { requester, runId } = parsed.data;
        if (isLeftRecorded({ workflowId: requester, runId })) return;
        if (!holder) throw new Error(`nobody holds ${lockId}: only its holder records in its ledger`);
        if (!isHolder({ workflowId: requester, runId })) {
          throw new Error(`${lockId} is held by ${holder.workflowId} (run ${holder.runId}), not ${requester} (run ${runId}): only its holder records in its ledger`);
        }
      },
    },
  );
  setHandler(lockAcquireSignal, (raw) => {
    messagesThisRun++;
    const parsed = parseMessage(lockRequestSchema, raw);
    if (!parsed.ok) return ignore('acquire', parsed.reason, raw);
    const party = { workflowId: parsed.data.requester, runId: parsed.data.runId };
    if (isHolder(party) && holder!.byRequest) holder!.askedAgain = true;
    // Anyone may queue anything; the grant asks the requester itself before it counts.
    if (!isHolder(party) && !queued(party)) queue.push(party);
  });
  /**
   * A free lock is granted to the run a request update names, on that word: only the caller hears
   * 'granted', so a request naming another run does not tell that run it holds the lock. The word
   * is checked as soon as anyone waits behind it, or at the first check (see holdFor); a run that
   * never claimed the lock is then dropped, the refusal recorded, nothing written in the ledger.
   */
  setHandler(
    lockRequestUpdate,
    async (raw) => {
      messagesThisRun++;
      const { requester, runId } = lockRequestSchema.parse(raw);
      const party = { workflowId: requester, runId };
      // The answer the lock is getting about this holder decides what to say.
      if (isHolder(party)) await condition(() => !askingAboutHolder);
      if (isHolder(party)) return 'granted';
      if (!holder && queue.length === 0 && keepsLedger) {
        holder = { ...party, since: new Date().toISOString(), byRequest: true, onItsWord: true };
        releaseHinted = false;
        holderLeft = false;
        unlocked = undefined;
        return 'granted';
      }
      if (!queued(party)) queue.push(party);
      return 'queued';
    },
    {
      validator: (raw) => {
        const parsed = parseMessage(lockRequestSchema, raw);
        if (!parsed.ok) throw new Error(parsed.reason);
      },
    },
  );
  setHandler(lockReleaseSignal, (raw) => {
    messagesThisRun++;
    const parsed = parseMessage(lockRequestSchema, raw);
    if (!parsed.ok) return ignore('release', parsed.reason, raw);
    // Only a hint to ask the holder now; a queued requester that gives up is passed over at its turn.
    if (holder?.workflowId === parsed.data.requester) {
      releaseHinted = true;
      delete holder.claimed;
    }
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
  setDefaultSignalHandler((name, ...args) => {
    messagesThisRun++;
    ignore(name, 'an environment lock takes no such signal', args[0]);
  });
  /** A holder that asked again the older way (askedAgain) is not forgotten with it: it waits in the queue. */
  const dropHolder = () => {
    if (holder!.askedAgain && !queued(holder!)) queue.push({ workflowId: holder!.workflowId, runId: holder!.runId });
    holder = undefined;
  };
  /**
   * The holder is gone without giving the lock back; one that recorded nothing may have changed
   * the environment all the same (unlocked or terminated mid-stage), so the ledger says so.
   */
  const letGo = (why: string) => {
    if (!holder!.recorded) entries = { ...entries, unrecorded: { by: holder!.workflowId, at: new Date().toISOString(), why: why.slice(0, UNRECORDED_WHY_MAX) } };
    dropHolder();
  };
  const passOn = (why: string) => {
    passedOn.push({ at: new Date().toISOString(), holder: holder!.workflowId, why });
    if (passedOn.length > PASSED_ON_KEPT) passedOn.splice(0, passedOn.length - PASSED_ON_KEPT);
    letGo(why);
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

  /**
   * A call that asks the holder's side about the holder. Meanwhile a request in the holder's name
   * waits for its answer (see the request handler), so no answer of 'granted' can outrun it.
   */
  async function askAboutHolder<T>(call: () => Promise<T>): Promise<T | undefined> {
    askingAboutHolder = true;
    try {
      return await unlessUnlocked(call);
    } finally {
      askingAboutHolder = false;
    }
  }

  /**
   * Waits until the holder gives the lock up, closes, or an operator takes it. `checkFirst`: ask
   * about the holder before the first wait.
   */
  async function holdFor(party: LockParty, { checkFirst = false } = {}): Promise<void> {
    let wait = FIRST_CHECK_MS;
    for (let first = true; ; first = false) {
      if (!(first && checkFirst)) {
        const nobodyWaits = checksWhenWaitedOn && queue.length === 0;
        const someoneCame = () => queue.length > 0 && (nobodyWaits || holder?.onItsWord === true);
        const woken = () => releaseHinted || holderLeft || unlocked !== undefined || holder?.askedAgain === true || someoneCame();
        const full = () => startsOverWhenFull && startOver();
        await condition(() => woken() || full(), nobodyWaits ? LAST_CHECK_MS : wait);
        if (!nobodyWaits) wait = Math.min(wait * 2, LAST_CHECK_MS);
        // Woken for nothing but that: a release or a newcomer is answered first, and the run ends after.
        if (full() && !woken()) return continueWithLedger();
      }
      if (unlocked) return passOn(unlocked);
      if (holderLeft && isLeftRecorded(party)) {
        holderLeft = false;
        holder = undefined; // recorded, and gone by its own word: nothing to ask it
        return;
      }
      if (holder!.askedAgain) {
        delete holder!.askedAgain;
        const granted = await askAboutHolder(() => calls.grantLock({ lockId, holder: party }, `grant ${lockId} to ${party.workflowId}`));
        if (granted === undefined) return passOn(unlocked!);
        if (granted === 'granted') {
          delete holder!.onItsWord; // it asked, by its own query
          markClaimed();
          if (startOver()) return continueWithLedger();
          continue;
        }
        // Gone, or open without a claim on the lock: the check below asks it whether it held the lock.
        delete holder!.claimed;
      }
      const hinted = releaseHinted;
      releaseHinted = false;
      const onItsWord = holder!.onItsWord === true;
      const input: HolderCheck = { lockId, holder: { workflowId: party.workflowId, runId: party.runId }, ...(onItsWord ? { since: holder!.since } : holder!.claimed ? { claimed: true } : {}) };
      const check = await askAboutHolder(() => checkHolderBy(input)(input, `does ${party.workflowId} still hold ${lockId}?`));
      if (!check) return passOn(unlocked!);
      if (!check.holds && onItsWord && check.neverHeld && !hinted && !holder!.recorded) {
        // Taken on the word of a request naming it, and it never asked: nothing it did to record.
        ignore('request', `${party.workflowId} was granted ${lockId} on a request in its name but never claimed it: ${check.why}`, { requester: party.workflowId, runId: party.runId });
        return dropHolder();
      }
      if (!check.holds) {
        // Released as it should be: a holder that changed the environment recorded it first (a
        // failed record is a failed step in its own status), and one that did not record changed
        // nothing (aborted in a freeze window, refused under the lock), so the ledger stays sure.
        if (hinted) return dropHolder();
        return passOn(`the holder no longer holds it: ${check.why}`);
      }
      delete holder!.onItsWord;
      if (checkAsksTheHolder(input)) markClaimed();
      if (hinted) ignore('release', `${party.workflowId} still holds ${lockId}: a release counts only from the holder`, undefined);
      if (startOver()) return continueWithLedger();
    }
  }

  /** The holder's own answer said it wants or holds the lock; a release in its name since undoes that. */
  const markClaimed = () => {
    if (!releaseHinted) holder!.claimed = true;
  };
  /** A check that asks only the server is quick: a local activity, in the task the check's timer woke. */
  const checkHolderBy = (input: HolderCheck) => (!checkAsksTheHolder(input) && hasPatch(LOCK_CHECKS_OPEN_RUN_LOCALLY) ? handover.checkHolder : checkHolder);

  async function wakeWeekly(): Promise<never> {
    for (;;) await sleep(WEEKLY_WAKE);
  }

  const carried = (): LockInput => {
    // A holder let go with its record while this run ended is not carried as one.
    const carriedHolder = holderLeft && holder && isLeftRecorded(holder) ? undefined : holder;
    return {
      queue,
      holder: carriedHolder,
      ...(carriedHolder && releaseHinted ? { releaseHinted } : {}),
      passedOn,
      ignoredCount,
      releases: entries.releases,
      lastAttempt: entries.lastAttempt,
      unrecorded: entries.unrecorded,
      ...(leftRecorded ? { leftRecorded } : {}),
    };
  };
  const startOver = () => workflowInfo().continueAsNewSuggested || (keepsLedger && (workflowInfo().historyLength > HISTORY_EVENTS_KEPT || messagesThisRun > MESSAGES_PER_RUN));
  async function continueWithLedger(): Promise<never> {
    // A record being written finishes in this run, so the next one starts with it.
    if (keepsLedger) await condition(allHandlersFinished);
    // An operator's unlock accepted meanwhile was answered as done: it takes the lock here, not in
    // a run that never heard of it.
    if (unlocked !== undefined && holder) passOn(unlocked);
    return continueAsNew<typeof environmentLock>(carried());
  }

  // Caught: a cancelled lock's sleep rejects as its other waits do, and the run ends cancelled by
  // those; left unhandled, the rejection would fail the workflow task instead.
  if (wakesWeekly)
    wakeWeekly().catch((error: unknown) => {
      if (!isCancellation(error)) throw error;
    });

  // A holder carried from the run before is checked at once; one a request in this run's first
  // task was granted (update-with-start) is taken on its word like any other.
  if (holder) await holdFor(holder, { checkFirst: startsOverWhenFull && input.holder !== undefined });
  for (;;) {
    if (queue.length === 0) {
      // Before the ledger: end, and let the next promotion start a fresh lock.
      if (!keepsLedger) return;
      // The ledger lives on: wait, open, for the next promotion.
      const waiting = () => queue.length > 0 || holder !== undefined || startOver();
      if (wakesWeekly || !hasPatch(LOCK_WAKES_WHEN_IDLE)) await condition(waiting);
      else while (!(await condition(waiting, WEEKLY_WAKE)));
    }
    if (startOver()) return continueWithLedger();
    if (holder) {
      await holdFor(holder); // granted to a request while the lock stood free
      continue;
    }
    const next = queue.shift()!;
    holder = { ...next, since: new Date().toISOString() };
    releaseHinted = false;
    holderLeft = false;
    unlocked = undefined;
    const granted = await unlessUnlocked(() => calls.grantLock({ lockId, holder: next }, `grant ${lockId} to ${next.workflowId}`));
    if (granted === undefined) {
      passOn(unlocked!);
      continue;
    }
    if (granted === 'gone') {
      holder = undefined; // it closed or gave up while it waited
      continue;
    }
    markClaimed(); // asked, by its own query, before the grant
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
  /** What this workflow did with each environment it holds, for the lock to read when asked to record it. */
  private readonly records = new Map<string, ReleaseRecord>();
  /** Locks given up the moment their record is written (said in lockClaims, so the lock can check it). */
  private readonly leaving = new Set<string>();
  /** Locks the lock let go of with their record: nothing left to release. */
  private readonly leftWith = new Set<string>();

  constructor(private readonly ignore: (signal: string, reason: string, payload: unknown) => void) {
    setHandler(lockClaimsQuery, () => ({
      wanted: [...this.wanted],
      held: [...this.held],
      records: [...this.records].map(([lock, record]) => ({ lock, record })),
      ...(this.leaving.size > 0 ? { leaving: [...this.leaving] } : {}),
    }));
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
    const calls = hasPatch(LOCK_HANDOVER_LOCAL) ? handover : { requestLock, confirmGrant };
    this.wanted.add(lockId);
    const request = { lockId, requester: me, taskQueue: workflowInfo().taskQueue };
    if (hasPatch(LOCK_ASKED_BY_UPDATE)) {
      // The answer reached this run only: no grant signal to wait for and no confirmation to ask.
      if ((await handover.askForLock(request, `ask for ${lockId}`)) === 'granted') {
        if (!interrupted()) return this.hold(lockId);
        await this.release(lockId); // aborted while it asked: give the environment straight back
        return false;
      }
    } else await calls.requestLock(request, `queue for ${lockId}`);
    for (;;) {
      await condition(() => this.hinted.has(lockId) || interrupted());
      if (!this.hinted.delete(lockId)) break;
      if (await calls.confirmGrant({ lockId, requester: me }, `confirm that ${lockId} is ours`)) return this.hold(lockId);
      this.ignore('lockGranted', `${lockId} does not name this promotion as its holder`, { lock: lockId });
    }
    await this.release(lockId); // leave the queue so the next promotion is not held up
    return false;
  }

  private hold(lockId: string): true {
    this.wanted.delete(lockId);
    this.hinted.delete(lockId);
    this.held.add(lockId);
    return true;
  }

  /**
   * Writes what this workflow did with an environment it holds into that environment's ledger,
   * and resolves with the ledger. The lock reads the record from this workflow's own query.
   * `leave`: the record is the last thing done there; the lock lets this workflow go as it
   * writes it, so the next promotion need not wait for a release.
   */
  async record(lockId: string, record: ReleaseRecord, { leave = false } = {}): Promise<EnvironmentLedger> {
    if (!this.held.has(lockId)) throw ApplicationFailure.nonRetryable(`${lockId} is not held by this workflow: only the holder records in its ledger`, FailureType.InvalidInput);
    this.records.set(lockId, record);
    if (leave) this.leaving.add(lockId);
    const me = { workflowId: workflowInfo().workflowId, runId: workflowInfo().runId };
    const what = record.outcome === 'live' ? `${record.release.artifact} live` : `${record.attempt.artifact} ${record.attempt.outcome}`;
    try {
      const ledger = await recordRelease({ lockId, requester: me }, `record in the ledger of ${lockId}: ${what}`);
      if (leave) {
        this.forget(lockId);
        this.leftWith.add(lockId);
      }
      return ledger;
    } finally {
      this.leaving.delete(lockId);
    }
  }

  private forget(lockId: string): void {
    this.wanted.delete(lockId);
    this.held.delete(lockId);
    this.records.delete(lockId);
  }

  /**
   * Lets the lock go as this workflow leaves the environment, an abort or cancel notwithstanding.
   * Nothing to send for a lock left with the record, and then no scope either: the SDK keeps a
   * stack trace of each promise a workflow makes, and a scope makes several.
   */
  leave(lockId: string): Promise<void> | undefined {
    if (this.leftWith.delete(lockId)) return undefined;
    return CancellationScope.nonCancellable(() => this.release(lockId));
  }

  /** Gives the lock up, or leaves its queue: a release signal in this run's name. */
  private async release(lockId: string): Promise<void> {
    this.forget(lockId);
    const me = workflowInfo();
    await getExternalWorkflowHandle(lockId)
      .signal(lockReleaseSignal, { requester: me.workflowId, runId: me.runId })
      .catch(() => undefined); // the lock may have ended; it would have found us gone anyway
  }
}
