import { ApplicationFailure, CancellationScope, ChildWorkflowHandle, isCancellation, setCurrentDetails, setDefaultSignalHandler, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import { hasPatch, takePatchBaseline } from './patches';
import type { CommitInfo, NotifyEvent } from '../common/activity-contracts';
import { formatDuration } from '../common/duration';
import { FailureType } from '../common/errors';
import { keepRefusal, parseMessage, refusal } from '../common/inbound-message';
import { abortPayloadSchema, abortSignal, statusQuery, type AbortPayload } from '../common/messages';
import { lockWorkflowId, shortSha, stageWorkflowId, type EnvironmentPlan, type PromotionPlan } from '../common/plan';
import { progressMarkdown } from '../common/progress-markdown';
import { promotionRecord } from '../common/release-record';
import { secretVariableNames } from '../common/secret-variables';
import type { EnvironmentStatus, PromotionState, PromotionStatus } from '../common/status';
import { commandActivities, environmentActivities, gitActivities } from './activities';
import { ApprovalGate } from './approval-gate';
import { EnvironmentLockClient } from './environment-lock';
import { waitOutFreezeWindows } from './freeze-wait';
import { prepareEnvironments } from './prepare-environments';
import { checkReleasePolicy, hasEntryChecks, moveEnvironmentRef, wentLiveNow } from './release-policy';
import { stage } from './stage';
import { SearchAttributesPublisher, stageStartsAt } from './search-attributes';
import { findDetails } from './stage-failure';
import { promotionFinished, promotionStarted } from './metrics';
import { activeStep, rootMessage, StepLog } from './step-log';

/** Since this change, every environment checks that the release can run there before the first stage starts. */
const PREPARE_EVERY_ENVIRONMENT_FIRST = 'prepare-every-environment-first';
/** Since this change, each environment's stage is recorded in the environment's ledger, before its lock is released. */
const RECORD_IN_LEDGER = 'record-in-ledger';
/** Since this change, the refs policy (from, after) is checked before the build. */
const CHECK_RELEASE_POLICY = 'check-release-policy';
/** Since this change, an environment that went live moves its ref in the repository (recordRef). */
const MOVE_ENVIRONMENT_REF = 'move-environment-ref';
/** Since this change, the record is the last thing done under an environment's lock, and the lock is let go with it. */
const LEAVE_WITH_RECORD = 'leave-with-record';

/**
 * A release's whole journey: resolve → build → test → prepare (every environment) once, then for
 * each environment in order approval → lock → freeze window → stage. It stops at the first
 * environment that does not succeed.
 */
export async function promotion(plan: PromotionPlan): Promise<PromotionStatus> {
  takePatchBaseline();
  const status = initialStatus(plan);
  promotionStarted(plan.app);
  const progress = new Progress(status);
  const changed = () => progress.publish();
  const log = new StepLog(status.steps, changed);
  let abort: AbortPayload | undefined;
  let runningStage: ChildWorkflowHandle<typeof stage> | undefined;
  const release = new CancellationScope();
  const source = { repo: plan.repo, sha: plan.sha, credentialsEnv: plan.repoCredentialsEnv };

  const gate = new ApprovalGate(() => selfIdentities(plan, status.commit), ignore, changed);
  const locks = new EnvironmentLockClient(ignore);
  setHandler(statusQuery, () => status);
  setHandler(abortSignal, async (raw) => {
    const parsed = parseMessage(abortPayloadSchema, raw);
    if (!parsed.ok) return ignore('abort', parsed.reason, raw);
    if (abort || status.endedAt) return ignore('abort', 'the promotion is already ending', raw);
    abort = parsed.data;
    status.abort = { ...abort, at: new Date().toISOString() };
    release.cancel();
    changed();
    await runningStage?.signal(abortSignal, abort);
  });

  // Last: setting it hands it every buffered signal that has no handler yet.
  setDefaultSignalHandler((name, ...args) => ignore(name, 'a promotion takes no such signal (approve, reject, abort)', args[0]));

  function ignore(signal: string, reason: string, payload: unknown): void {
    status.ignoredCount = keepRefusal(status.ignored, refusal(signal, reason, payload, new Date().toISOString()), status.ignoredCount);
    changed();
  }

  async function notify(env: EnvironmentPlan, event: NotifyEvent, text: string): Promise<void> {
    if (!env.notify) return;
    const input = { webhookEnv: env.notify.webhookEnv, event, promotionId: status.workflowId, environment: env.name, text };
    // A webhook that is down must never hold up or fail a promotion.
    await environmentActivities(env.taskQueue)
      .notify.notify(input, `notify: ${event}`)
      .catch(() => undefined);
  }

  /** Gate, lock, freeze, stage. Returns the environment's final state. */
  async function promoteTo(env: EnvironmentPlan, envStatus: EnvironmentStatus): Promise<EnvironmentStatus['state']> {
    const steps = new StepLog(envStatus.steps, changed);
    const interrupted = () => abort !== undefined;
    if (env.approval) {
      envStatus.state = 'waiting';
      const step = steps.begin('approval', 'waiting', `${env.approval.required} needed`);
      const outcome = await gate.wait(envStatus, env.approval, interrupted, () => notify(env, 'approval-waiting', `${plan.app} ${shortSha(plan.sha)} waits for approval of ${env.name}`));
      const approvers = envStatus.approval?.received.map((r) => `${r.decision} by ${r.approver}`).join(', ');
      if (outcome !== 'approved') {
        steps.end(step, outcome === 'interrupted' ? 'cancelled' : 'failed', approvers, outcome === 'timed-out' ? `no decision within ${formatDuration(env.approval.timeout)}` : undefined);
        const decision = envStatus.approval?.received.at(-1);
        envStatus.error = outcome === 'rejected' ? `by ${decision?.approver}: ${decision?.comment ?? 'no reason given'}` : step.error;
        return outcome === 'interrupted' ? 'aborted' : 'rejected';
      }
      steps.end(step, 'succeeded', approvers);
    }

    const lockId = lockWorkflowId(plan.app, env.name);
    envStatus.state = 'waiting';
    const lockStep = steps.begin('lock', 'waiting', `waiting for ${lockId}`);
    if (!(await locks.acquire(lockId, interrupted))) {
      steps.end(lockStep, 'cancelled');
      return 'aborted';
    }
    steps.end(lockStep, 'succeeded', 'held');
    try {
      if (env.freezeWindows.length > 0) {
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
      envStatus.state = 'running';
      progress.gateStepsDone(envStatus);
      changed();
      envStatus.stageWorkflowId = stageWorkflowId(status.workflowId, env.name);
      const child = await startChild(stage, {
        workflowId: envStatus.stageWorkflowId,
        args: [{ promotionId: status.workflowId, app: plan.app, source, artifact: plan.artifact, environment: env, secretEnv: secretVariableNames(plan) }],
        staticSummary: `promote ${plan.artifact} to ${env.name}`,
        typedSearchAttributes: stageStartsAt(plan.app, plan.sha, env.name),
      });
      runningStage = child;
      if (abort) await child.signal(abortSignal, abort);
      try {
        progress.stageReported(await child.result());
      } catch (error) {
        const details = findDetails(error);
        if (details) progress.stageReported(details);
        envStatus.error ??= rootMessage(error);
        if (!details) envStatus.state = abort ? 'aborted' : 'failed';
      } finally {
        runningStage = undefined;
      }
      if (hasPatch(LEAVE_WITH_RECORD)) {
        try {
          if (plan.recordRef && wentLiveNow(envStatus)) await moveEnvironmentRef(plan, env.name, plan.sha, steps);
        } finally {
          // Even when a cancel ends the ref move: the environment changed, and its ledger says so.
          await recordInLedger(lockId, envStatus, steps, { leave: true });
        }
      } else {
        if (hasPatch(RECORD_IN_LEDGER)) await recordInLedger(lockId, envStatus, steps);
        if (plan.recordRef && wentLiveNow(envStatus) && hasPatch(MOVE_ENVIRONMENT_REF)) await moveEnvironmentRef(plan, env.name, plan.sha, steps);
      }
      return envStatus.state;
    } finally {
      await locks.leave(lockId);
    }
  }

  /**
   * Writes what the stage did in the environment's ledger while the lock is still held. What the
   * stage did stands either way: a ledger that does not take the record (its lock's worker gone,
   * a refusal) neither fails nor holds up the promotion; a failed `record` step says why.
   */
  async function recordInLedger(lockId: string, envStatus: EnvironmentStatus, steps: StepLog, options: { leave?: boolean } = {}): Promise<void> {
    try {
      const record = promotionRecord(plan, status.workflowId, envStatus, new Date().toISOString());
      await CancellationScope.nonCancellable(() => locks.record(lockId, record, options));
    } catch (error) {
      steps.end(steps.begin('record'), 'failed', undefined, `${lockId} did not record this stage in its ledger: ${rootMessage(error)}`);
    }
  }

  try {
    await release.run(async () => {
      status.commit = await log.run(
        'resolve',
        () => gitActivities().resolveCommit({ repo: plan.repo, ref: plan.sha, credentialsEnv: plan.repoCredentialsEnv }, `resolve ${plan.ref} (${shortSha(plan.sha)})`),
        describeCommit,
      );
      if (status.commit.sha !== plan.sha) {
        throw ApplicationFailure.nonRetryable(`${plan.repo} resolves ${plan.sha} to ${status.commit.sha}`, FailureType.UnknownRef);
      }
      if (hasEntryChecks(plan) && hasPatch(CHECK_RELEASE_POLICY)) await checkReleasePolicy(plan, status, log);
      const commandInput = (command: PromotionPlan['build']) => ({
        promotionId: status.workflowId,
        source,
        command: command.command,
        skipIf: command.skipIf,
        timeoutMs: command.timeout,
        env: { COMMIT: plan.sha, ARTIFACT: plan.artifact, IMAGE: plan.artifact },
        passEnv: command.passEnv,
        secretEnv: secretVariableNames(plan),
      });
      await log.run(
        'build',
        () => commandActivities(plan.build.timeout).build(commandInput(plan.build), `build ${plan.artifact}`),
        (r) => (r.skipped ? 'artifact already exists' : `built in ${formatDuration(r.durationMs)}`),
      );
      if (plan.test) {
        const test = plan.test;
        await log.run(
          'test',
          () => commandActivities(test.timeout).test(commandInput(test), `test ${plan.artifact}`),
          (r) => `passed in ${formatDuration(r.durationMs)}`,
        );
      } else log.skip('test', 'no test command configured');
      // Promotions started before this replay without it.
      if (hasPatch(PREPARE_EVERY_ENVIRONMENT_FIRST)) await prepareEnvironments(plan, source, log, status.environments);
    });

    for (const [i, env] of plan.environments.entries()) {
      if (abort) break;
      const envStatus = status.environments[i];
      if (env.skip) {
        envStatus.state = 'skipped';
        envStatus.error = undefined;
        changed();
        continue;
      }
      envStatus.state = await promoteTo(env, envStatus);
      changed();
      if (envStatus.state === 'succeeded') {
        await notify(env, 'succeeded', `${plan.artifact} is live in ${env.name}`);
        continue;
      }
      await notify(env, envStatus.state === 'rolled-back' ? 'rolled-back' : 'failed', `${plan.artifact} in ${env.name}: ${envStatus.state}: ${envStatus.error ?? ''}`);
      status.error = `${env.name}: ${envStatus.state}${envStatus.error ? `: ${envStatus.error}` : ''}`;
      break;
    }
  } catch (error) {
    // Cancel in the Web UI is an abort too, by whoever pressed it.
    if (isCancellation(error)) abort ??= { by: 'temporal-cancel', reason: 'the workflow was cancelled' };
    status.error = abort ? `aborted by ${abort.by}: ${abort.reason}` : rootMessage(error);
    log.closePending('not run');
  }
  return finish(status, progress, abort);
}

function finish(status: PromotionStatus, progress: Progress, abort: AbortPayload | undefined): PromotionStatus {
  status.state = finalState(status, abort);
  status.endedAt = new Date().toISOString();
  for (const env of status.environments) {
    if (env.state === 'pending') env.state = 'skipped';
  }
  progress.publish();
  promotionFinished(status);
  if (status.state === 'succeeded') return status;
  const type = status.state === 'aborted' ? FailureType.Aborted : status.state === 'rejected' ? FailureType.ApprovalRejected : status.state === 'refused' ? FailureType.Refused : 'PromotionFailed';
  throw ApplicationFailure.nonRetryable(status.error ?? status.state, type, status);
}

function finalState(status: PromotionStatus, abort: AbortPayload | undefined): PromotionState {
  if (abort) return 'aborted';
  if (status.environments.some((env) => env.state === 'refused')) return 'refused';
  if (status.environments.some((env) => env.state === 'rejected')) return 'rejected';
  if (status.error || status.environments.some((env) => !['succeeded', 'skipped'].includes(env.state))) return 'failed';
  return 'succeeded';
}

function initialStatus(plan: PromotionPlan): PromotionStatus {
  return {
    workflowId: workflowInfo().workflowId,
    app: plan.app,
    ref: plan.ref,
    sha: plan.sha,
    artifact: plan.artifact,
    state: 'running',
    startedAt: new Date().toISOString(),
    steps: [],
    environments: plan.environments.map((env) => ({ name: env.name, state: 'pending', steps: [] })),
    ignored: [],
    ignoredCount: 0,
  };
}

function selfIdentities(plan: PromotionPlan, commit: CommitInfo | undefined): string[] {
  return [commit?.authorEmail, commit?.authorName, plan.requestedBy].filter((who): who is string => !!who);
}

function describeCommit(commit: CommitInfo): string {
  return `${commit.subject} — ${commit.authorName} <${commit.authorEmail}>`;
}

/**
 * Keeps what others see in step with the status: the search attributes the Web UI filters on,
 * and the markdown it shows as current details. Each stage's own steps follow the gate steps.
 */
class Progress {
  private readonly attributes = new SearchAttributesPublisher();
  private gateSteps = new Map<string, number>();

  constructor(private readonly status: PromotionStatus) {}

  gateStepsDone(env: EnvironmentStatus): void {
    this.gateSteps.set(env.name, env.steps.length);
  }

  stageReported(stageStatus: EnvironmentStatus): void {
    const env = this.status.environments.find((e) => e.name === stageStatus.name);
    if (!env) return;
    env.steps.splice(this.gateSteps.get(env.name) ?? 0, Infinity, ...stageStatus.steps);
    env.state = stageStatus.state;
    env.error = stageStatus.error;
    if (stageStatus.database) env.database = stageStatus.database;
    this.publish();
  }

  publish(): void {
    const current = this.status.environments.find((e) => ['waiting', 'running'].includes(e.state));
    const step = activeStep(current?.steps ?? this.status.steps);
    if (!this.status.endedAt) this.status.state = current?.state === 'waiting' ? 'waiting' : 'running';
    this.attributes.publish({
      app: this.status.app,
      sha: this.status.sha,
      environment: current?.name,
      // While a stage child runs, its own attributes name its step; the promotion says which environment.
      stage: step?.name ?? (current?.state === 'running' ? 'stage' : undefined),
      state: this.status.state,
    });
    setCurrentDetails(progressMarkdown(this.status));
  }
}
