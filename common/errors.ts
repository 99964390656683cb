/** Failure types the workflows and activities agree on; workflows/activities.ts says which are never retried. */
export const FailureType = {
  InvalidInput: 'InvalidInput',
  UnknownRef: 'UnknownRef',
  RepoUnreachable: 'RepoUnreachable',
  CommandFailed: 'CommandFailed',
  MigrationFailed: 'MigrationFailed',
  ChecksumDrift: 'ChecksumDrift',
  AnalysisFailed: 'AnalysisFailed',
  HealthCheckFailed: 'HealthCheckFailed',
  /** A verify command failed (exit code, timeout) against the version under test: the stage rolls back. */
  VerifyFailed: 'VerifyFailed',
  ApprovalRejected: 'ApprovalRejected',
  /** The refs policy (an environment's from or after) does not let the release in: nothing ran. */
  Refused: 'Refused',
  Aborted: 'Aborted',
  NotAvailable: 'NotAvailable',
  RolloutFailed: 'RolloutFailed',
  NoPreviousVersion: 'NoPreviousVersion',
  WebhookFailed: 'WebhookFailed',
  WebhookRefused: 'WebhookRefused',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];
