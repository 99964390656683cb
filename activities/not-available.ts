import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../common/errors';

/**
 * An activity whose outside system this worker cannot reach yet. It fails at once and says
 * so, rather than pretending: a promotion stops with a clear reason and nothing half-done.
 */
export function notAvailable(activity: string, system: string) {
  return async (): Promise<never> => {
    throw ApplicationFailure.nonRetryable(
      `${activity}: this Ferry worker has no ${system} integration yet`,
      FailureType.NotAvailable,
    );
  };
}
