// Git for activities: the git access in git/, cancelled with the running activity.
import { asyncLocalStorage } from '@temporalio/activity';
import type { CommitInfo } from '../common/activity-contracts';
import { resolveCommit as resolveCommitIn } from '../git/repository';

/** The running activity's cancellation signal, when there is a running activity. */
export function activitySignal(): AbortSignal | undefined {
  return asyncLocalStorage.getStore()?.cancellationSignal;
}

/** Resolves a branch, tag (annotated ones peeled to their commit) or SHA to the commit it names. */
export async function resolveCommit(input: { repo: string; ref: string; credentialsEnv?: string }): Promise<CommitInfo> {
  return resolveCommitIn(input, activitySignal());
}
