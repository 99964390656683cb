// `ferry start` refuses what the refs policy would refuse, before starting anything: the ancestry
// check with the git that resolved --ref, the ledger by query. The workflow checks again on its
// worker: this is the early answer, not the guard.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { checkBranches } from '../git/branches';
import { environmentLedgerSchema, ledgerQuery, type EnvironmentLedger } from '../common/ledger';
import { describeIssues } from '../common/problems';
import { lockWorkflowId, type PromotionPlan } from '../common/plan';
import { afterRefusal, entryChecks, fromRefusal, wentLive } from '../common/release-order-rules';
import { CliExit, ExitCode } from './exit-codes';

/** A lock whose worker does not answer must not hang `ferry start`: the workflow checks anyway. */
const LEDGER_DEADLINE_MS = 10_000;

type LedgerAnswer = { ledger?: EnvironmentLedger } | 'unknown';

async function ledgerOf(client: Client, lockId: string): Promise<LedgerAnswer> {
  let raw: unknown;
  try {
    raw = await client.withDeadline(Date.now() + LEDGER_DEADLINE_MS, () => client.workflow.getHandle(lockId).query(ledgerQuery));
  } catch (error) {
    // No lock workflow: the environment never ran anything, so no ledger lists the commit.
    if (error instanceof WorkflowNotFoundError) return {};
    return 'unknown';
  }
  // Whatever runs on the lock's task queue answered: an answer that is not a ledger decides nothing.
  const parsed = environmentLedgerSchema.safeParse(raw);
  if (!parsed.success) throw new CliExit(ExitCode.Failed, `${lockId} answered something that is not a ledger (${describeIssues(parsed.error).slice(0, 3).join('; ')})`);
  return { ledger: parsed.data };
}

/** Why the refs policy refuses `plan`, one line per refused environment; empty when it lets it in (or cannot tell here). */
export async function policyRefusals(client: Client, plan: PromotionPlan): Promise<string[]> {
  const refusals: string[] = [];
  for (const check of entryChecks(plan.environments)) {
    if (check.from) {
      const answer = await checkBranches({ repo: plan.repo, sha: plan.sha, branches: check.from, credentialsEnv: plan.repoCredentialsEnv }).catch((error: unknown) => {
        if (error instanceof ApplicationFailure) throw new CliExit(ExitCode.BadInput, `environments: ${check.environment}.from: ${error.message}`);
        throw error;
      });
      if (!answer.onBranch) refusals.push(fromRefusal(check.environment, answer.why ?? `commit ${plan.sha.slice(0, 7)} is not on ${check.from.join(' or ')}`));
    }
    if (check.wentLiveIn) {
      const answer = await ledgerOf(client, lockWorkflowId(plan.app, check.wentLiveIn));
      if (answer !== 'unknown' && !wentLive(answer.ledger, plan.sha)) refusals.push(afterRefusal(check.environment, plan.sha, check.wentLiveIn));
    }
  }
  return refusals;
}
