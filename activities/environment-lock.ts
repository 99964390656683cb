// The environment lock's dealings with Temporal that a workflow cannot do itself: starting the
// lock with a request update or a signal, and asking the other side's own state (queries cannot
// be forged; signals and updates can: the Web UI sends any of them by name).
import { ApplicationFailure } from '@temporalio/activity';
import {
  QueryNotRegisteredError,
  ServiceError,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { LockActivities, LockParty } from '../common/activity-contracts';
import { checkAsksTheHolder } from '../common/holder-check';
import { FailureType } from '../common/errors';
import { environmentLedgerSchema, ledgerQuery, recordReleaseUpdate, type ReleaseRecord } from '../common/ledger';
import { describeIssues } from '../common/problems';
import { lockAcquireSignal, lockClaimsQuery, lockGrantedSignal, lockRequestUpdate, lockStateQuery } from '../common/messages';

const OPEN = 'RUNNING';
const lockSummary = (lockId: string) => `one promotion at a time: ${lockId}`;
/**
 * A query needs a worker of the asked workflow; one that closed a moment after describe() said
 * it runs must be replayed to answer, and a worker that is shutting down never will. Bounded, so
 * the activity fails and is retried instead of holding up that shutdown.
 */
const QUERY_DEADLINE_MS = 10_000;

/**
 * The lock answers a record once it has asked the holder, by an activity of its own; an update
 * not answered by then is sent again by the activity's retry, and the lock writes the record once.
 */
const UPDATE_DEADLINE_MS = 2 * QUERY_DEADLINE_MS;

/**
 * How long a request waits for the lock's answer. The asking promotion's workflow task stays open
 * meanwhile (a local activity), holding one of the worker's task slots; a worker busy with many
 * promotions could fill them all with promotions waiting for locks whose tasks then find no slot.
 * A free lock on a worker with room answers in milliseconds.
 */
const ANSWER_WAIT_MS = 1_000;

export function lockActivities(client: Client): LockActivities {
  const handle = (party: LockParty) => client.workflow.getHandle(party.workflowId, party.runId);

  /**
   * Why `party` has no claim on `lockId`, or undefined while it wants or holds it. `closedAt`: when
   * the run closed, if that is why; `never`: it cannot have claimed the lock at all.
   */
  async function noClaim(lockId: string, party: LockParty, { openIsEnough = false } = {}): Promise<{ why: string; closedAt?: Date; never?: true } | undefined> {
    const run = handle(party);
    try {
      const { status, closeTime } = await run.describe();
      if (status.name !== OPEN) return { why: `${party.workflowId} is ${status.name.toLowerCase()}`, closedAt: closeTime };
      if (openIsEnough) return undefined;
      const claims = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => run.query(lockClaimsQuery));
      if (claims.wanted.includes(lockId) || claims.held.includes(lockId)) return undefined;
      return { why: `${party.workflowId} neither holds nor awaits ${lockId}`, never: true };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { why: `${party.workflowId} (run ${party.runId}) does not exist`, never: true };
      // A requester that cannot answer for itself is not a promotion: nobody to hold for.
      if (error instanceof QueryNotRegisteredError) return { why: `${party.workflowId} does not take part in locks`, never: true };
      // A run ID that is not one (a hand-made acquire signal): the server refuses to look, for ever.
      if (isInvalidArgument(error)) return { why: `${party.workflowId} (run ${party.runId.slice(0, 100)}) is not a workflow run`, never: true };
      throw error; // unknown (its worker may be restarting): retried, and the lock stays where it is
    }
  }

  /** Whether a closed run's last `lockClaims` answer holds `lockId`; when it cannot be read, it may have. */
  async function heldAtTheEnd(lockId: string, party: LockParty): Promise<boolean> {
    try {
      const claims = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle(party).query(lockClaimsQuery));
      return claims.held.includes(lockId);
    } catch {
      return true;
    }
  }

  async function queueBySignal(lockId: string, request: { requester: string; runId: string }, taskQueue: string): Promise<void> {
    await client.workflow.signalWithStart('environmentLock', {
      workflowId: lockId,
      taskQueue,
      args: [{ queue: [] }],
      signal: lockAcquireSignal,
      signalArgs: [request],
      staticSummary: lockSummary(lockId),
    });
  }

  /** What `holder` says, by its own query, it did with `lockId`, and whether it gives the lock up once that is recorded. */
  async function holderRecord(lockId: string, holder: LockParty): Promise<{ record?: ReleaseRecord; leaving: boolean }> {
    try {
      const claims = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle(holder).query(lockClaimsQuery));
      if (!claims.held.includes(lockId)) return { leaving: false };
      const record = claims.records?.find((entry) => entry.lock === lockId)?.record;
      return { ...(record ? { record } : {}), leaving: claims.leaving?.includes(lockId) ?? false };
    } catch (error) {
      // Gone, or older Ferry that keeps no records: nothing to record.
      if (error instanceof WorkflowNotFoundError || error instanceof QueryNotRegisteredError) return { leaving: false };
      throw error;
    }
  }

  return {
    async requestLock({ lockId, requester, taskQueue }) {
      await queueBySignal(lockId, { requester: requester.workflowId, runId: requester.runId }, taskQueue);
    },

    async askForLock({ lockId, requester, taskQueue }) {
      const request = { requester: requester.workflowId, runId: requester.runId };
      try {
        return await client.withDeadline(Date.now() + ANSWER_WAIT_MS, () =>
          client.workflow.executeUpdateWithStart(lockRequestUpdate, {
            args: [request],
            startWorkflowOperation: new WithStartWorkflowOperation('environmentLock', {
              workflowId: lockId,
              taskQueue,
              args: [{ queue: [] }],
              workflowIdConflictPolicy: 'USE_EXISTING',
              staticSummary: lockSummary(lockId),
            }),
          }),
        );
      } catch (error) {
        if (!(error instanceof WorkflowUpdateFailedError || error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) throw error;
        // A lock run by a worker of older Ferry takes no such update, and a busy one may not answer
        // soon: queue by signal, which needs no answer. If the request did reach the lock and made
        // this run its holder, the lock grants it again by signal when this acquire comes from it.
        await queueBySignal(lockId, request, taskQueue);
        return 'queued';
      }
    },

    async grantLock({ lockId, holder }) {
      if (await noClaim(lockId, holder)) return 'gone';
      try {
        await handle(holder).signal(lockGrantedSignal, { lock: lockId });
        return 'granted';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'gone'; // closed between the two calls
        throw error;
      }
    },

    async checkHolder(input) {
      const { lockId, holder, since } = input;
      const none = await noClaim(lockId, holder, { openIsEnough: !checkAsksTheHolder(input) });
      if (!none) return { holds: true };
      const no = { holds: false, why: none.why };
      if (since === undefined) return no;
      if (none.never || (none.closedAt && none.closedAt.getTime() < Date.parse(since))) return { ...no, neverHeld: true };
      // Closed since a request in its name made it the holder: it held the lock only if its own
      // last answer says so (a run that never asked was named by someone else).
      if (none.closedAt && !(await heldAtTheEnd(lockId, holder))) return { ...no, neverHeld: true };
      return no;
    },

    async confirmGrant({ lockId, requester }) {
      try {
        const lock = client.workflow.getHandle(lockId);
        const state = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => lock.query(lockStateQuery));
        return state.holder === requester.workflowId && state.holderRunId === requester.runId;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      }
    },

    async recordRelease({ lockId, requester }) {
      try {
        // No update ID of our own: one made of the holder's run ID (public, in lockState) could be
        // sent first by anyone, and Temporal would hand the holder that update's refusal. A retried
        // activity sends another update; the lock writes one record per holder run.
        // Bounded like the queries: a lock whose worker is shutting down never answers, and an
        // activity still waiting when its worker gives up on it would outlive the worker's connection.
        return await client.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
          client.workflow.getHandle(lockId).executeUpdate(recordReleaseUpdate, {
            args: [{ requester: requester.workflowId, runId: requester.runId }],
          }),
        );
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) {
          throw ApplicationFailure.nonRetryable(`${lockId} refused the record of ${requester.workflowId}: ${error.cause?.message ?? error.message}`, FailureType.InvalidInput);
        }
        if (error instanceof WorkflowNotFoundError) {
          throw ApplicationFailure.nonRetryable(`${lockId} is not running: there is no ledger to record in`, FailureType.InvalidInput);
        }
        throw error;
      }
    },

    async readRecord({ lockId, holder }) {
      return (await holderRecord(lockId, holder)).record;
    },

    readHolderRecord: ({ lockId, holder }) => holderRecord(lockId, holder),

    async readLedger({ lockId }) {
      let raw: unknown;
      try {
        const lock = client.workflow.getHandle(lockId);
        // A lock that ended (older Ferry's, or terminated) starts empty when next asked for: its ledger is gone.
        if ((await lock.describe()).status.name !== OPEN) return undefined;
        raw = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => lock.query(ledgerQuery));
      } catch (error) {
        // No lock yet, or one from before the ledger: the environment has no ledger.
        if (error instanceof WorkflowNotFoundError || error instanceof QueryNotRegisteredError) return undefined;
        throw error;
      }
      // Whatever runs on the lock's task queue answered; the refs policy decides only on a ledger.
      const parsed = environmentLedgerSchema.safeParse(raw);
      if (!parsed.success)
        throw ApplicationFailure.nonRetryable(`${lockId} answered something that is not a ledger (${describeIssues(parsed.error).slice(0, 3).join('; ')})`, FailureType.InvalidInput);
      return parsed.data;
    },
  };
}

/** gRPC's status code 3. */
const GRPC_INVALID_ARGUMENT = 3;

/** gRPC's INVALID_ARGUMENT, as the client wraps it: the request itself is wrong, so asking again never helps. */
function isInvalidArgument(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === GRPC_INVALID_ARGUMENT) return true;
  }
  return error instanceof ServiceError && /INVALID_ARGUMENT/.test(error.message);
}
