// One proxy per outside system, each with the timeouts and retries that system deserves.
import { ActivityCancellationType, proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { CommandActivities, DatabaseActivities, GitActivities, HealthActivities, LockActivities, NotifyActivities, TargetActivities, VerifyActivities } from '../common/activity-contracts';
import { FailureType } from '../common/errors';

/** A verify activity's time beyond its command's: a checkout of a large repository takes minutes. */
const VERIFY_MARGIN_MS = 10 * 60_000;

const NEVER_RETRY_BAD_INPUT = [FailureType.InvalidInput, FailureType.NotAvailable];

export const POLICIES = {
  git: {
    startToCloseTimeout: '2m',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: [...NEVER_RETRY_BAD_INPUT, FailureType.UnknownRef, FailureType.RepoUnreachable] },
  },
  commands: {
    startToCloseTimeout: '30m',
    heartbeatTimeout: '1m',
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: [...NEVER_RETRY_BAD_INPUT, FailureType.CommandFailed] },
  },
  database: {
    startToCloseTimeout: '30m',
    heartbeatTimeout: '1m',
    retry: {
      maximumAttempts: 5,
      nonRetryableErrorTypes: [...NEVER_RETRY_BAD_INPUT, FailureType.MigrationFailed, FailureType.ChecksumDrift],
    },
  },
  target: {
    startToCloseTimeout: '20m',
    heartbeatTimeout: '1m',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: [...NEVER_RETRY_BAD_INPUT, FailureType.RolloutFailed, FailureType.NoPreviousVersion] },
  },
  /** Undoing must try hard: giving up leaves an environment half-changed. */
  compensation: {
    startToCloseTimeout: '20m',
    heartbeatTimeout: '1m',
    retry: { maximumAttempts: 20, maximumInterval: '1m', nonRetryableErrorTypes: NEVER_RETRY_BAD_INPUT },
  },
  /** A failing test is an answer, not an accident: never retried. A lost worker or checkout is. */
  verify: {
    heartbeatTimeout: '1m',
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: [...NEVER_RETRY_BAD_INPUT, FailureType.VerifyFailed] },
  },
  lock: { startToCloseTimeout: '30s', retry: { maximumInterval: '10s' } },
  /**
   * The lock's hand-over, run in the workflow task that asks for it: no task queue round trip, no
   * task to report it. Retries past the first seconds wait on a server timer, so the workflow's
   * task ends and its queries and an operator's unlock are answered meanwhile.
   */
  lockHandover: { startToCloseTimeout: '30s', localRetryThreshold: '2s', retry: { maximumInterval: '10s' } },
  health: { startToCloseTimeout: '1m', retry: { maximumAttempts: 3, maximumInterval: '10s' } },
  /** A notification is a courtesy: a few tries, then the promotion goes on without it. */
  notify: {
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 5, maximumInterval: '30s', nonRetryableErrorTypes: [...NEVER_RETRY_BAD_INPUT, FailureType.WebhookRefused] },
  },
} satisfies Record<string, ActivityOptions | LocalActivityOptions>;

/** Each call names its purpose, so the Web UI's event history reads like the pipeline. */
type Summarized<A> = {
  [K in keyof A]: A[K] extends (input: infer I) => Promise<infer R> ? (input: I, summary: string) => Promise<R> : never;
};

type Call = (input: unknown) => Promise<unknown>;
type CallsWithOptions<O> = Record<string, { executeWithOptions(options: O, args: [unknown]): Promise<unknown> }>;

function summarizing<A extends object, O extends object>(proxy: CallsWithOptions<O>, options: O): Summarized<A> {
  return new Proxy({} as Summarized<A>, {
    get: (_, name: string) => (input: unknown, summary: string) => proxy[name].executeWithOptions({ ...options, summary }, [input]),
  });
}

const group = <A extends object>(options: ActivityOptions): Summarized<A> =>
  summarizing<A, ActivityOptions>(proxyActivities<Record<string, Call>>(options) as CallsWithOptions<ActivityOptions>, options);

const localGroup = <A extends object>(options: LocalActivityOptions): Summarized<A> =>
  summarizing<A, LocalActivityOptions>(proxyLocalActivities<Record<string, Call>>(options) as CallsWithOptions<LocalActivityOptions>, options);

/**
 * The activities of one environment, on its own task queue when it has one. `waitForCancelled`:
 * a cancelled migration or deploy is waited for until it has stopped, so the undo that follows an
 * abort never runs beside it (and finds the environment as the cancelled step left it). Stages
 * started before this existed keep not waiting (see stage.ts), so their histories replay.
 */
export function environmentActivities(taskQueue?: string, { waitForCancelled = false } = {}) {
  const on = <O extends ActivityOptions>(options: O): ActivityOptions => ({ ...options, taskQueue });
  const changing = <O extends ActivityOptions>(options: O): ActivityOptions =>
    waitForCancelled ? { ...on(options), cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED } : on(options);
  return {
    database: group<DatabaseActivities>(changing(POLICIES.database)),
    target: group<TargetActivities>(changing(POLICIES.target)),
    compensation: group<TargetActivities & DatabaseActivities>(on(POLICIES.compensation)),
    health: group<HealthActivities>(on(POLICIES.health)),
    notify: group<NotifyActivities>(on(POLICIES.notify)),
    /**
     * The command's timeout is its own: the activity gets ten minutes beyond it for the checkout,
     * finding the version's address and reporting. A cancelled one is waited for, so the rollback
     * after an abort never runs beside a test still talking to the version.
     */
    verify: (commandTimeoutMs: number) =>
      group<VerifyActivities>({
        ...on(POLICIES.verify),
        startToCloseTimeout: commandTimeoutMs + VERIFY_MARGIN_MS,
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      }),
  };
}

/** Resolving the release runs once, on the promotion's own task queue. */
export const gitActivities = () => group<GitActivities>(POLICIES.git);

/** Build and test: the activity gets a minute beyond the command's own timeout to report it. */
export const commandActivities = (commandTimeoutMs: number) => group<CommandActivities>({ ...POLICIES.commands, startToCloseTimeout: commandTimeoutMs + 60_000 });

/** Queueing for an environment's lock: a signal-with-start, which only a client can send. */
export const lockActivities = () => group<LockActivities>(POLICIES.lock);

/**
 * The calls that hand an environment from one holder to the next (request, grant, confirm, read
 * the holder's record), and the lock's check that a holder's run is still open, as local
 * activities. None waits long on the other side's workflow task: a query to a workflow whose own
 * task is open waits for that task to end, and a request's update waits for the lock's task at
 * most a second (see askForLock) before it queues by signal instead.
 */
export const lockHandoverActivities = () => localGroup<LockActivities>(POLICIES.lockHandover);
