import { Context } from '@temporalio/activity';
import type { AnalysisResult, FerryActivities, LockActivities } from '../../common/activity-contracts';

/** Everything but the lock, which the tests run for real against the test server. */
export type StubbedActivities = Omit<FerryActivities, keyof LockActivities>;

export const AUTHOR = { authorName: 'Dana Developer', authorEmail: 'dana@example.com' };
export const HEALTHY: AnalysisResult = { healthy: true, reasons: [], metrics: { errorRate: 0 } };
export const unhealthy = (reason: string): AnalysisResult => ({ healthy: false, reasons: [reason], metrics: { errorRate: 0.2 } });

export interface ActivityCall {
  name: keyof StubbedActivities;
  input: any;
}

/**
 * Activities that answer like healthy real ones and record every call, so a workflow test can
 * say what happened to which environment. Each test overrides only the activity it is about.
 */
export function stubActivities(overrides: Partial<StubbedActivities> = {}) {
  const calls: ActivityCall[] = [];
  const defaults: StubbedActivities = {
    resolveCommit: async ({ ref }) => ({ sha: ref, ...AUTHOR, subject: 'Add the checkout page' }),
    checkBranches: async ({ branches }) => ({ onBranch: branches[0] }),
    moveRef: async ({ ref }) => ({ ref: ref.startsWith('refs/') ? ref : `refs/heads/${ref}` }),
    build: async () => ({ skipped: false, durationMs: 1_000 }),
    test: async () => ({ skipped: false, durationMs: 2_000 }),
    backupDatabase: async ({ promotionId, environment }) => ({
      file: `/var/backups/${promotionId}-${environment}.dump`,
      bytes: 4096,
      sha256: 'ab'.repeat(32),
    }),
    migrateDatabase: async () => ({ applied: ['001_create_orders'] }),
    undoMigrations: async () => ({ undone: ['001_create_orders'] }),
    revertDatabase: async () => ({ reverted: ['002_add_status'], migrations: ['001_create_orders'] }),
    prepare: async () => undefined,
    deploy: async () => ({ previousVersion: 'shop:previous' }),
    setCanaryWeight: async () => undefined,
    promote: async () => undefined,
    retirePrevious: async () => undefined,
    rollback: async () => undefined,
    analyze: async () => HEALTHY,
    checkHealth: async () => HEALTHY,
    verify: async () => ({ durationMs: 2_000, url: 'http://127.0.0.1:18081' }),
    notify: async () => undefined,
  };
  const activities = Object.fromEntries(
    Object.entries({ ...defaults, ...overrides }).map(([name, fn]) => [
      name,
      async (input: any) => {
        calls.push({ name: name as keyof StubbedActivities, input });
        return (fn as (input: unknown) => Promise<unknown>)(input);
      },
    ]),
  ) as unknown as StubbedActivities;

  return {
    activities,
    calls,
    /** The calls to one activity, optionally only those for one environment. */
    callsTo(name: keyof StubbedActivities, environment?: string) {
      return calls.filter((c) => c.name === name && (environment === undefined || c.input.environment === environment));
    },
    /** The environments any activity ran for; `ignoring` leaves out some (the up-front `prepare` checks change nothing). */
    environmentsTouched({ ignoring = [] }: { ignoring?: (keyof StubbedActivities)[] } = {}): string[] {
      return [
        ...new Set(
          calls
            .filter((c) => !ignoring.includes(c.name))
            .map((c) => c.input.environment)
            .filter(Boolean),
        ),
      ];
    },
  };
}

/**
 * Holds an activity until the test lets it go, or until it is cancelled (as a real activity
 * would, it heartbeats and stops when the workflow cancels it). The test server's clock stands
 * still while an activity runs, so a test can act at an exact point of a promotion (an open
 * approval gate, a canary at 50%) even while time skipping is on.
 */
export function hold() {
  let release!: () => void;
  let reached!: () => void;
  let heardCancel!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  const cancelled = new Promise<void>((resolve) => (heardCancel = resolve));
  const state = { cancelled: false };
  return {
    /** Call from the stubbed activity: returns when released, throws the cancellation when cancelled. */
    async here(): Promise<void> {
      reached();
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 100);
      try {
        await Promise.race([released, context.cancelled]);
      } catch (error) {
        state.cancelled = true;
        heardCancel();
        throw error;
      } finally {
        clearInterval(beat);
      }
    },
    arrived,
    /** Resolves when the held activity heard it was cancelled. */
    cancelled,
    /** Whether it has (at the moment asked). */
    wasCancelled: () => state.cancelled,
    release,
  };
}
