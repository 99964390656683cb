// Asking an environment lock something on the time-skipping test server.
import { ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

const TRY_MS = 3_000;
const TRIES = 3;

/**
 * Runs a query, asked once or twice again when the test server does not answer it within a few
 * seconds or says the workflow is not found. The time-skipping server holds a query that reaches a
 * lock while it continues as new for a minute or more (and its clock with it), and now and then
 * answers one to a lock that has just let its holder go with "Execution not found in mutable
 * state", though the lock runs on; asked again, it answers at once. A lock that never answers
 * still fails the test.
 */
export async function askAgain<T>(env: TestWorkflowEnvironment, query: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await env.client.withDeadline(Date.now() + TRY_MS, query);
    } catch (error) {
      if (attempt >= TRIES || !(error instanceof WorkflowNotFoundError || isDeadlineExceeded(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** gRPC's DEADLINE_EXCEEDED (4), as the client wraps it. */
function isDeadlineExceeded(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === 4) return true;
  }
  return error instanceof ServiceError && /DEADLINE_EXCEEDED/.test(error.message);
}
