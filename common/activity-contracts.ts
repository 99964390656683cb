// What the workflows ask of the outside world. Workflows see only these types; the worker
// registers implementations under the same names, one file per outside system in activities/.
import type { AppEnvironment } from './app-environment';
import type { EnvironmentLedger, ReleaseRecord } from './ledger';
import type { AnalysisConfig, DatabaseConfig, StrategyConfig, TargetConfig, VerifyConfig } from './config-schema';
import type { LockAnswer } from './messages';

/** Where a step's files come from: activities check the commit out themselves, on their own worker. */
export interface SourceRef {
  repo: string;
  sha: string;
  /** The worker variable holding an http(s) repo's credentials (config `repoCredentialsEnv`): a name, never a value. */
  credentialsEnv?: string;
}

export interface CommitInfo {
  sha: string;
  authorName: string;
  authorEmail: string;
  subject: string;
}

export interface GitActivities {
  resolveCommit(input: { repo: string; ref: string; credentialsEnv?: string }): Promise<CommitInfo>;
  /** The refs policy's `from`: whether `sha` is in the history of one of `branches` in the repository (by ancestry). */
  checkBranches(input: { repo: string; sha: string; branches: string[]; credentialsEnv?: string }): Promise<{ onBranch?: string; why?: string }>;
  /** Git records what runs where: points `ref` in the repository at `sha` (forced: a rollback moves it back). */
  moveRef(input: { repo: string; sha: string; ref: string; credentialsEnv?: string }): Promise<{ ref: string; previous?: string }>;
}

export interface CommandInput {
  promotionId: string;
  source: SourceRef;
  command: string;
  skipIf?: string;
  timeoutMs: number;
  /** COMMIT, ARTIFACT and (for per-environment commands) ENVIRONMENT. */
  env: Record<string, string>;
  /** Worker variables the config lets the command see, besides a short allow-list (absent in older histories). */
  passEnv?: string[];
  /** Names of every worker variable the config holds a secret in; their values are masked in the command's output. */
  secretEnv?: string[];
}

export interface CommandResult {
  skipped: boolean;
  durationMs: number;
}

export interface CommandActivities {
  build(input: CommandInput): Promise<CommandResult>;
  test(input: CommandInput): Promise<CommandResult>;
}

export interface DatabaseInput {
  /** Backups are kept per (app, environment); absent in stages started before it was sent. */
  app?: string;
  promotionId: string;
  environment: string;
  source: SourceRef;
  database: DatabaseConfig;
  /** A rollback's backup to restore (a file under FERRY_BACKUP_DIR): the backup taken before it never prunes it. */
  keepBackup?: string;
}

export interface BackupResult {
  file: string;
  bytes: number;
  sha256: string;
  /** The stage run that took it (a retry is a new run): only that run may restore it. Older Ferry recorded none. */
  runId?: string;
}

export interface DatabaseActivities {
  backupDatabase(input: DatabaseInput): Promise<BackupResult>;
  /** `applied`: by this promotion; `migrations`: all of schema_migrations afterwards, oldest first (absent from older Ferry). */
  migrateDatabase(input: DatabaseInput): Promise<{ applied: string[]; migrations?: string[] }>;
  /** Undoes exactly what this promotion applied, per the environment's undo policy. */
  undoMigrations(input: DatabaseInput & { backup?: BackupResult }): Promise<{ undone: string[] }>;
  /** A rollback's: brings the database back to what `source` (an earlier release) expects, per the undo policy. */
  revertDatabase(input: RevertDatabaseInput): Promise<RevertDatabaseResult>;
}

export interface RevertDatabaseInput extends DatabaseInput {
  /** The release live now: policy `down` runs the down files of its checkout. */
  live: SourceRef;
  /** Policy `restore`: the backup to put back (taken before the migrations being reverted). */
  restore?: BackupResult;
}

export interface RevertDatabaseResult {
  /** Migrations taken out, newest first. */
  reverted: string[];
  /** By down files, the target's own migrations the database lacked, applied after (a rollback to a newer release); absent when none. */
  applied?: string[];
  /** schema_migrations afterwards, oldest first. */
  migrations: string[];
}

export interface TargetInput {
  app: string;
  environment: string;
  target: TargetConfig;
  /** How the target shapes a canary: extra replicas (canary) or a second colour (blue-green). */
  strategy: StrategyConfig['kind'];
  version: string;
  /** The commit of `version`, for targets that run it from a checkout (local). */
  source: SourceRef;
  /** What the app gets: plain variables, and secrets by worker variable name. Absent in older histories. */
  appEnvironment?: AppEnvironment;
}

export interface AnalysisResult {
  healthy: boolean;
  /** Why it is unhealthy, one reason per broken threshold. */
  reasons: string[];
  metrics: Record<string, number>;
}

/** Each call is idempotent; `version` is the release being promoted. */
export interface TargetActivities {
  /** Before anything changes: whether `version` can run in the environment (settings resolve, manifests render). */
  prepare(input: TargetInput): Promise<void>;
  /** Rolling: all of the environment's traffic to `version`. */
  deploy(input: TargetInput): Promise<{ previousVersion?: string }>;
  /** A canary step; weight 0 brings up blue-green's idle colour without traffic. */
  setCanaryWeight(input: TargetInput & { weight: number }): Promise<void>;
  /** Makes `version` the stable one: canary to 100%, or the blue-green switch. */
  promote(input: TargetInput): Promise<void>;
  /** Stops the old colour kept for an instant switch back. */
  retirePrevious(input: TargetInput): Promise<void>;
  /** Puts the version that ran before this promotion back; idempotent. */
  rollback(input: TargetInput): Promise<void>;
  /** Judges the canary (or idle colour) by the target's own view, HTTP checks and Prometheus. */
  analyze(input: TargetInput & { analysis: AnalysisConfig }): Promise<AnalysisResult>;
}

/** One of an environment's verify commands, run against the version under test. */
export interface VerifyInput extends TargetInput {
  /** Keys the command's private checkout, like build's and test's. */
  promotionId: string;
  verify: VerifyConfig;
  /** Set while the version under test is a canary with this share of the traffic (below 100%). */
  canaryWeight?: number;
  /** Names of every worker variable the config holds a secret in; their values are masked in the command's output. */
  secretEnv: string[];
}

export interface VerifyResult {
  durationMs: number;
  /** The address the command was given as FERRY_URL. */
  url: string;
}

export interface VerifyActivities {
  /**
   * Runs the command in a checkout of the release with FERRY_URL set to the address of exactly the
   * version under test; a failing command (exit code, timeout) fails for good with its output's tail.
   */
  verify(input: VerifyInput): Promise<VerifyResult>;
}

export interface HealthActivities {
  /** Judges the stable version the same way, for the checks while it stabilizes. */
  checkHealth(input: TargetInput & { analysis: AnalysisConfig }): Promise<AnalysisResult>;
}

export type NotifyEvent = 'approval-waiting' | 'succeeded' | 'failed' | 'rolled-back';

export interface NotifyActivities {
  notify(input: { webhookEnv: string; event: NotifyEvent; promotionId: string; environment: string; text: string }): Promise<void>;
}

/** One run of one workflow: a retried promotion keeps its ID but is another run. */
export interface LockParty {
  workflowId: string;
  runId: string;
}

export interface LockActivities {
  /** Starts the environment's lock workflow if it is not running, and joins its queue. */
  requestLock(input: { lockId: string; requester: LockParty; taskQueue: string }): Promise<void>;
  /**
   * As requestLock, answered: 'granted' when the lock was free (or already this requester's),
   * 'queued' when it is not (or the lock is older Ferry's, which only queues).
   */
  askForLock(input: { lockId: string; requester: LockParty; taskQueue: string }): Promise<LockAnswer>;
  /**
   * The lock's side: tells `holder` it has the lock, but only if that run is still open and
   * asks for it (its own `lockClaims` query says so); 'gone' when it is not.
   */
  grantLock(input: { lockId: string; holder: LockParty }): Promise<'granted' | 'gone'>;
  /**
   * The lock's side: whether `holder` still holds or awaits the lock, by its own account; why not,
   * when not. Given `since` (a holder the lock took on its own word, at that time), `neverHeld` says
   * it cannot have held it: no such run, not a party to locks, open but with no claim on it, or
   * closed before `since`. Given `claimed` (the holder's own query said it claimed the lock, and no
   * release in its name has reached the lock since), a run still open holds it: only the server is
   * asked (see common/holder-check.ts).
   */
  checkHolder(input: { lockId: string; holder: LockParty; since?: string; claimed?: boolean }): Promise<{ holds: boolean; why?: string; neverHeld?: boolean }>;
  /** The requester's side: whether the lock itself names this run as its holder. */
  confirmGrant(input: { lockId: string; requester: LockParty }): Promise<boolean>;
  /**
   * The holder's side, before it releases: asks the environment to record what it did (the record is
   * in the holder's own `lockClaims` answer); resolves with the ledger once it is written.
   */
  recordRelease(input: { lockId: string; requester: LockParty }): Promise<EnvironmentLedger>;
  /** The lock's side: what `holder` says, by its own query, it did with the environment; undefined when nothing. */
  readRecord(input: { lockId: string; holder: LockParty }): Promise<ReleaseRecord | undefined>;
  /** The lock's side: as readRecord, and whether `holder` says, by its own query, that it gives the lock up once this is recorded. */
  readHolderRecord(input: { lockId: string; holder: LockParty }): Promise<{ record?: ReleaseRecord; leaving: boolean }>;
  /** Anyone's: the environment's ledger, or undefined when the environment has none yet. */
  readLedger(input: { lockId: string }): Promise<EnvironmentLedger | undefined>;
}

export type FerryActivities = GitActivities & LockActivities & CommandActivities & DatabaseActivities & TargetActivities & HealthActivities & VerifyActivities & NotifyActivities;
