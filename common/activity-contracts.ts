// What the workflows ask of the outside world. Workflows see only these types; the worker
// registers implementations under the same names, one file per outside system in activities/.
import type { AnalysisConfig, DatabaseConfig, TargetConfig } from './config-schema';

/** Where a step's files come from: activities check the commit out themselves, on their own worker. */
export interface SourceRef {
  repo: string;
  sha: string;
}

export interface CommitInfo {
  sha: string;
  authorName: string;
  authorEmail: string;
  subject: string;
}

export interface GitActivities {
  resolveCommit(input: { repo: string; ref: string }): Promise<CommitInfo>;
}

export interface CommandInput {
  promotionId: string;
  source: SourceRef;
  command: string;
  skipIf?: string;
  timeoutMs: number;
  /** COMMIT, ARTIFACT and (for per-environment commands) ENVIRONMENT. */
  env: Record<string, string>;
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
  promotionId: string;
  environment: string;
  source: SourceRef;
  database: DatabaseConfig;
}

export interface BackupResult {
  file: string;
  bytes: number;
  sha256: string;
}

export interface DatabaseActivities {
  backupDatabase(input: DatabaseInput): Promise<BackupResult>;
  migrateDatabase(input: DatabaseInput): Promise<{ applied: string[] }>;
  /** Undoes exactly what this promotion applied, per the environment's undo policy. */
  undoMigrations(input: DatabaseInput & { backup?: BackupResult }): Promise<{ undone: string[] }>;
}

export interface TargetInput {
  environment: string;
  target: TargetConfig;
  version: string;
}

export interface AnalysisResult {
  healthy: boolean;
  /** Why it is unhealthy, one reason per broken threshold. */
  reasons: string[];
  metrics: Record<string, number>;
}

export interface TargetActivities {
  /** Rolls the whole environment to `version` (rolling) or brings up the idle colour (blue-green). */
  deploy(input: TargetInput & { strategy: 'rolling' | 'blue-green' }): Promise<{ previousVersion?: string }>;
  setCanaryWeight(input: TargetInput & { weight: number }): Promise<void>;
  /** Makes `version` the stable one: canary to 100%, or the blue-green switch. */
  promote(input: TargetInput): Promise<void>;
  /** Puts the version that ran before this promotion back; idempotent. */
  rollback(input: TargetInput): Promise<void>;
  analyze(input: TargetInput & { analysis: AnalysisConfig }): Promise<AnalysisResult>;
}

export interface HealthActivities {
  checkHealth(input: TargetInput): Promise<AnalysisResult>;
}

export type NotifyEvent = 'approval-waiting' | 'succeeded' | 'failed' | 'rolled-back';

export interface NotifyActivities {
  notify(input: { webhookEnv: string; event: NotifyEvent; promotionId: string; environment: string; text: string }): Promise<void>;
}

export interface LockActivities {
  /** Starts the environment's lock workflow if it is not running, and joins its queue. */
  requestLock(input: { lockId: string; requester: string; taskQueue: string }): Promise<void>;
}

export type FerryActivities = GitActivities &
  LockActivities &
  CommandActivities &
  DatabaseActivities &
  TargetActivities &
  HealthActivities &
  NotifyActivities;
