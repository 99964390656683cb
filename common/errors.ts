/** Failure types the workflows and activities agree on; those in NON_RETRYABLE never get a second try. */
export const FailureType = {
  InvalidInput: 'InvalidInput',
  UnknownRef: 'UnknownRef',
  RepoUnreachable: 'RepoUnreachable',
  CommandFailed: 'CommandFailed',
  MigrationFailed: 'MigrationFailed',
  ChecksumDrift: 'ChecksumDrift',
  AnalysisFailed: 'AnalysisFailed',
  HealthCheckFailed: 'HealthCheckFailed',
  ApprovalRejected: 'ApprovalRejected',
  ApprovalTimedOut: 'ApprovalTimedOut',
  Aborted: 'Aborted',
  NotAvailable: 'NotAvailable',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];
