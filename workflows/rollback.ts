import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  setCurrentDetails,
  setDefaultSignalHandler,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { hasPatch, takePatchBaseline } from './patches';
import type { NotifyEvent } from '../common/activity-contracts';
import { formatDuration } from '../common/duration';
import { FailureType } from '../common/errors';
import { keepRefusal, parseMessage, refusal } from '../common/inbound-message';
import type { LedgerRelease } from '../common/ledger';
import { abortPayloadSchema, abortSignal, statusQuery, type AbortPayload } from '../common/messages';
import { lockWorkflowId, stageWorkflowId } from '../common/plan';
import { progressMarkdown } from '../common/progress-markdown';
import { chooseRollbackTarget, refuseRestoreWithoutBackup, refuseStaleRequest, refuseUnsureLedger, type RollbackPlan, type RollbackTarget } from '../common/rollback-plan';
import { rollbackRecord } from '../common/release-record';
import { secretVariableNames } from '../common/secret-variables';
import type { EnvironmentStatus, PromotionStatus } from '../common/status';
import { environmentActivities, lockActivities } from './activities';
import { ApprovalGate } from './approval-gate';
import { EnvironmentLockClient } from './environment-lock';
import { waitOutFreezeWindows } from './freeze-wait';
import { moveEnvironmentRef } from './release-policy';
import { SearchAttributesPublisher, stageStartsAt } from './search-attributes';
import { stage } from './stage';
import { findDetails } from './stage-failure';
import { promotionFinished } from './metrics';
import { activeStep, rootMessage, StepLog } from './step-log';

/**
 * An environment back to an earlier release of its ledger, the way a promotion goes: approval and
 * freeze windows (both skipped, and recorded, in an emergency) → lock → the ledger read again
 * under the lock → a stage that brings the database back and deploys the earlier release, undone
 * if it fails → recorded in the ledger as live or not.
 */
/** Since this change, a rollback checks under the lock that the live release is the one its requester saw, and deploys the ledger's own entry. */
const CHECK_REQUEST_UNDER_LOCK = 'rollback-checks-request-under-lock';
/** Since this change, the record is the last thing done under the lock, and the lock is let go with it. */
const LEAVE_WITH_RECORD = 'leave-with-record';
/**
 * Since this change, how the gate and stage ended is published before the notification, which may
 * take long: a rollback rejected at its approval no longer shows as waiting there meanwhile.
 */
const PUBLISH_GATE_END = 'rollback-publishes-its-gate-end';

export async function rollback(plan: RollbackPlan): Promise<PromotionStatus> {
  takePatchBaseline();
  const env = plan.environment;
  const status = initialStatus(plan);
  const envStatus = status.environments[0];
  const attributes = new SearchAttributesPublisher();
  const changed = () => {
    const step = activeStep(envStatus.steps);
    if (!status.endedAt) status.state = envStatus.state === 'waiting' ? 'waiting' : 'running';
    attributes.publish({ app: plan.app, sha: plan.target.sha, environment: env.name, stage: step?.name, state: status.state });
    setCurrentDetails(progressMarkdown(status));
  };
  const steps = new StepLog(envStatus.steps, changed);
  const ignore = (name: string, reason: string, payload: unknown) => {
    status.ignoredCount = keepRefusal(status.ignored, refusal(name, reason, payload, new Date().toISOString()), status.ignoredCount);
    changed();
  };
  // The requester may not approve their own rollback when the environment prevents self-approval.
  const gate = new ApprovalGate(() => [plan.requestedBy], ignore, changed);
  const locks = new EnvironmentLockClient(ignore);
  const lockId = lockWorkflowId(plan.app, env.name);
  let abort: AbortPayload | undefined;
  let runningStage: ChildWorkflowHandle<typeof stage> | undefined;
  const interrupted = () => abort !== undefined;

  setHandler(statusQuery, () => status);
  setHandler(abortSignal, async (raw) => {
    const parsed = parseMessage(abortPayloadSchema, raw);
    if (!parsed.ok) return ignore('abort', parsed.reason, raw);
    if (abort || status.endedAt) return ignore('abort', 'the rollback is already ending', raw);
    abort = parsed.data;
    status.abort = { ...abort, at: new Date().toISOString() };
    changed();
    await runningStage?.signal(abortSignal, abort);
  });
  setDefaultSignalHandler((name, ...args) => ignore(name, 'a rollback takes no such signal (approve, reject, abort)', args[0]));

  try {
    envStatus.state = await gateAndRun();
  } catch (error) {
    if (isCancellation(error)) abort ??= { by: 'temporal-cancel', reason: 'the workflow was cancelled' };
    envStatus.error ??= rootMessage(error);
    envStatus.state = abort ? 'aborted' : 'failed';
  }
  if (hasPatch(PUBLISH_GATE_END)) changed();
  const event = envStatus.state === 'succeeded' ? 'succeeded' : envStatus.state === 'rolled-back' ? 'rolled-back' : 'failed';
  await CancellationScope.nonCancellable(() => notify(event, `rollback of ${plan.app} ${env.name} to ${plan.target.artifact}: ${envStatus.state}${envStatus.error ? `: ${envStatus.error}` : ''}`));
  return finish(status, envStatus, abort, changed);

  async function notify(event: NotifyEvent, text: string): Promise<void> {
    if (!env.notify) return;
    const input = { webhookEnv: env.notify.webhookEnv, event, promotionId: status.workflowId, environment: env.name, text };
    // A webhook that is down must never hold up or fail a rollback.
    await environmentActivities(env.taskQueue)
      .notify.notify(input, `notify: ${event}`)
      .catch(() => undefined);
  }

  async function gateAndRun(): Promise<EnvironmentStatus['state']> {
    if (plan.emergency) {
      steps.skip('approval', `emergency rollback by ${plan.requestedBy}: approval and freeze windows skipped`);
    } else if (env.approval) {
      envStatus.state = 'waiting';
      const step = steps.begin('approval', 'waiting', `${env.approval.required} needed`);
      const outcome = await gate.wait(envStatus, env.approval, interrupted, () =>
        notify('approval-waiting', `rolling ${plan.app} ${env.name} back to ${plan.target.artifact} waits for approval (${plan.requestedBy}: ${plan.reason})`),
      );
      const decisions = envStatus.approval?.received.map((r) => `${r.decision} by ${r.approver}`).join(', ');
      if (outcome !== 'approved') {
        const timedOut = outcome === 'timed-out' ? `no decision within ${formatDuration(env.approval.timeout)}` : undefined;
        steps.end(step, outcome === 'interrupted' ? 'cancelled' : 'failed', decisions, timedOut);
        const last = envStatus.approval?.received.at(-1);
        envStatus.error = outcome === 'rejected' ? `by ${last?.approver}: ${last?.comment ?? 'no reason given'}` : step.error;
        return outcome === 'interrupted' ? 'aborted' : 'rejected';
      }
      steps.end(step, 'succeeded', decisions);
    }

    envStatus.state = 'waiting';
    const lockStep = steps.begin('lock', 'waiting', `waiting for ${lockId}`);
    if (!(await locks.acquire(lockId, interrupted))) {
      steps.end(lockStep, 'cancelled');
      return 'aborted';
    }
    steps.end(lockStep, 'succeeded', 'held');
    try {
      if (plan.emergency) {
        if (env.freezeWindows.length > 0) steps.skip('freeze', 'emergency: freeze windows do not hold it');
      } else if (env.freezeWindows.length > 0) {
        const freeze = steps.begin('freeze', 'running', 'no freeze window open');
        const waited = await waitOutFreezeWindows(
          env.freezeWindows,
          (window, endsAt) => {
            envStatus.state = 'waiting';
            steps.update(freeze, `frozen by ${window} until ${endsAt.toISOString()}`);
          },
          interrupted,
        );
        steps.end(freeze, waited === 'open' ? 'succeeded' : 'cancelled');
        if (waited === 'interrupted') return 'aborted';
      }
      if (abort) return 'aborted';
      return await revertUnderLock();
    } finally {
      await locks.leave(lockId);
    }
  }

  /** Holding the lock: the ledger again (another promotion or rollback may have gone first), the stage, the record. */
  async function revertUnderLock(): Promise<EnvironmentStatus['state']> {
    envStatus.state = 'running';
    const ledger = await lockActivities().readLedger({ lockId }, `read ${lockId}'s ledger`);
    const choice = chooseRollbackTarget(ledger, `${plan.app}/${env.name}`, plan.target.sha);
    const refusal = 'refusal' in choice ? choice.refusal : refuseUnsureLedger(ledger, `${plan.app}/${env.name}`, plan.emergency);
    if (refusal !== undefined || 'refusal' in choice) {
      envStatus.error = `refused under the lock: ${refusal}`;
      return 'failed';
    }
    const live = ledger!.releases[0];
    // Histories recorded before the check have no `replacing` and deployed plan.target as given.
    const checked = hasPatch(CHECK_REQUEST_UNDER_LOCK);
    const stale = checked ? refuseStaleRequest(plan, live, choice.release) : undefined;
    if (stale) {
      envStatus.error = `refused under the lock: ${stale}; nothing was changed`;
      return 'failed';
    }
    const target: RollbackTarget = checked ? { sha: choice.release.sha, ref: choice.release.ref, artifact: choice.release.artifact } : plan.target;
    const noBackup = refuseRestoreWithoutBackup(env, choice.replacedBy);
    if (noBackup) {
      envStatus.error = `refused: ${noBackup}; nothing was changed`;
      return 'failed';
    }

    envStatus.stageWorkflowId = stageWorkflowId(status.workflowId, env.name);
    const gateSteps = envStatus.steps.length;
    const child = await startChild(stage, {
      workflowId: envStatus.stageWorkflowId,
      args: [
        {
          promotionId: status.workflowId,
          app: plan.app,
          source: { repo: plan.repo, sha: target.sha, credentialsEnv: plan.repoCredentialsEnv },
          artifact: target.artifact,
          environment: env,
          secretEnv: secretVariableNames(env),
          revert: { live: { sha: live.sha, artifact: live.artifact }, ...(choice.replacedBy.backupBefore ? { restore: choice.replacedBy.backupBefore } : {}) },
        },
      ],
      staticSummary: `roll ${env.name} back to ${target.artifact}`,
      typedSearchAttributes: stageStartsAt(plan.app, target.sha, env.name),
    });
    runningStage = child;
    if (abort) await child.signal(abortSignal, abort);
    let stageStatus: EnvironmentStatus | undefined;
    try {
      stageStatus = await child.result();
    } catch (error) {
      stageStatus = findDetails(error);
      envStatus.error ??= rootMessage(error);
    } finally {
      runningStage = undefined;
    }
    if (stageStatus) {
      envStatus.steps.splice(gateSteps, Infinity, ...stageStatus.steps);
      envStatus.state = stageStatus.state;
      envStatus.error = stageStatus.error;
      envStatus.database = stageStatus.database;
    } else {
      envStatus.state = abort ? 'aborted' : 'failed';
    }
    changed();
    if (hasPatch(LEAVE_WITH_RECORD)) {
      try {
        if (envStatus.state === 'succeeded') await moveEnvironmentRef(plan, env.name, target.sha, steps);
      } finally {
        // Even when a cancel ends the ref move: the environment changed, and its ledger says so.
        await recordInLedger(live, target, { leave: true });
      }
    } else {
      await recordInLedger(live, target);
      if (envStatus.state === 'succeeded') await moveEnvironmentRef(plan, env.name, target.sha, steps);
    }
    return envStatus.state;
  }

  /** What this rollback did with the environment, for its ledger; a ledger that cannot be written is said, not fatal: the environment is as the stage left it. */
  async function recordInLedger(live: LedgerRelease, target: RollbackTarget, options: { leave?: boolean } = {}): Promise<void> {
    try {
      const record = rollbackRecord({ ...plan, target }, status.workflowId, envStatus, new Date().toISOString());
      await CancellationScope.nonCancellable(() => locks.record(lockId, record, options));
    } catch (error) {
      const note = `not recorded in ${lockId}'s ledger: ${rootMessage(error)}`;
      envStatus.error = envStatus.error ? `${envStatus.error}; ${note}` : note;
      if (envStatus.state === 'succeeded') status.error = `${live.artifact} replaced by ${target.artifact}, but ${note}`;
    }
  }
}

function finish(status: PromotionStatus, envStatus: EnvironmentStatus, abort: AbortPayload | undefined, changed: () => void): PromotionStatus {
  status.state = abort ? 'aborted' : envStatus.state === 'succeeded' ? 'succeeded' : envStatus.state === 'rejected' ? 'rejected' : 'failed';
  if (status.state !== 'succeeded') status.error ??= `${envStatus.name}: ${envStatus.state}${envStatus.error ? `: ${envStatus.error}` : ''}`;
  status.endedAt = new Date().toISOString();
  changed();
  promotionFinished(status, { rollback: true });
  if (status.state === 'succeeded') return status;
  const type = status.state === 'aborted' ? FailureType.Aborted : status.state === 'rejected' ? FailureType.ApprovalRejected : 'RollbackFailed';
  throw ApplicationFailure.nonRetryable(status.error!, type, status);
}

function initialStatus(plan: RollbackPlan): PromotionStatus {
  return {
    workflowId: workflowInfo().workflowId,
    app: plan.app,
    ref: plan.target.ref,
    sha: plan.target.sha,
    artifact: plan.target.artifact,
    state: 'running',
    startedAt: new Date().toISOString(),
    steps: [],
    environments: [{ name: plan.environment.name, state: 'pending', steps: [] }],
    ignored: [],
    ignoredCount: 0,
  };
}
