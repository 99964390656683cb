import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { FailureType } from './errors';
import { describeIssues } from './problems';

/** Validates what a user handed an activity; a bad value is a non-retryable InvalidInput. */
export function parseActivityInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw ApplicationFailure.nonRetryable(`${what}: ${describeIssues(result.error).join('; ')}`, FailureType.InvalidInput);
  }
  return result.data;
}
