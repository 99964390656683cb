// What manifests mode throws reaches workflow history, and an API server's refusal may quote the
// object it refused (a label, an annotation, a Secret's data), so every error of an apply, a dry
// run or a record write leaves through the environment's masker, causes and all.
import { ApplicationFailure } from '@temporalio/common';
import type { Masker } from '../../../secret-masking';

function maskedError(error: unknown, mask: Masker): unknown {
  if (error instanceof ApplicationFailure) {
    const message = mask(error.message);
    if (message === error.message && error.cause === undefined) return error;
    // The cause (the client's exception, with the server's whole response) is left behind: its text is in the message.
    return new ApplicationFailure(message, error.type, error.nonRetryable, error.details, undefined, error.nextRetryDelay, error.category);
  }
  // A plain Error is clusterError's retryable kind; cancellation and the like pass as they are.
  if (error instanceof Error && error.constructor === Error) {
    const message = mask(error.message);
    return message === error.message && error.cause === undefined ? error : new Error(message);
  }
  return error;
}

export async function withMaskedErrors<T>(mask: Masker, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw maskedError(error, mask);
  }
}
