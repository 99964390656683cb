import type { BackupResult, CommitInfo } from './activity-contracts';

// The shape of the `status` query: everything an SRE or the CLI needs to see a promotion's state.

export type StepState = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export type StepName =
  | 'resolve'
  | 'build'
  | 'test'
  | 'approval'
  | 'lock'
  | 'freeze'
  | 'prepare'
  | 'backup'
  | 'migrate'
  | 'deploy'
  | 'canary'
  | 'verify'
  | 'stabilize'
  | 'rollback'
  | 'undo-migration'
  /** The refs policy (from, after), checked before the build when an environment has something to check. */
  | 'policy'
  /** Moving the environment's ref in the repository (recordRef) once it went live; a failure there leaves it live. */
  | 'record-ref'
  /** Only listed when the environment's ledger did not take the stage's record. */
  | 'record';

export interface StepStatus {
  name: StepName;
  state: StepState;
  /** Times the workflow ran this step (compensations and analysis rounds count too). */
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  detail?: string;
  error?: string;
}

export interface ApprovalRecord {
  approver: string;
  decision: 'approve' | 'reject';
  at: string;
  comment?: string;
  via: 'signal' | 'update' | 'timeout';
}

export type EnvironmentState =
  | 'pending'
  | 'waiting'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'rolled-back'
  | 'rejected'
  | 'aborted'
  /** The refs policy does not let this release in (from, after); nothing ran. */
  | 'refused'
  | 'skipped';

export interface EnvironmentStatus {
  name: string;
  state: EnvironmentState;
  steps: StepStatus[];
  approval?: {
    required: number;
    approvers?: string[];
    received: ApprovalRecord[];
    /** When an unanswered approval times out. */
    deadline?: string;
  };
  error?: string;
  /** The stage child of this environment: query it for its steps while it runs. */
  stageWorkflowId?: string;
  /** What the stage left in the environment's database, for its ledger (absent from older Ferry). */
  database?: {
    /** Taken just before this stage's migrations. */
    backupBefore?: BackupResult;
    /** schema_migrations once the stage was done, oldest first. */
    migrations?: string[];
  };
}

export type PromotionState = 'running' | 'waiting' | 'succeeded' | 'failed' | 'rejected' | 'aborted' | 'refused';

/**
 * A message that was recorded but not acted on, with the reason (malformed, not allowed, too
 * late, undecodable). Only a bounded preview of what was sent is kept: a refusal must never
 * make the status, or the result, too large for Temporal.
 */
export interface IgnoredMessage {
  name: string;
  at: string;
  reason: string;
  /** Who sent it, when the payload names someone (approver, by). */
  from?: string;
  /** The payload as JSON, cut to a few hundred characters. */
  payload?: string;
}

export interface PromotionStatus {
  workflowId: string;
  app: string;
  ref: string;
  sha: string;
  artifact: string;
  state: PromotionState;
  startedAt: string;
  endedAt?: string;
  commit?: CommitInfo;
  steps: StepStatus[];
  environments: EnvironmentStatus[];
  /** The latest refusals, newest last; older ones are only counted. */
  ignored: IgnoredMessage[];
  /** Every refusal since the promotion started, including those no longer listed. */
  ignoredCount: number;
  abort?: { by: string; reason: string; at: string };
  error?: string;
}
