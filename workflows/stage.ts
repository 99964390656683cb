import { ApplicationFailure, CancellationScope, isCancellation, setCurrentDetails, setHandler, sleep } from '@temporalio/workflow';
import { hasPatch, takePatchBaseline } from './patches';
import type { BackupResult, RevertDatabaseResult, SourceRef, TargetInput } from '../common/activity-contracts';
import type { AnalysisConfig, StrategyConfig } from '../common/config-schema';
import { formatDuration } from '../common/duration';
import { FailureType } from '../common/errors';
import { abortPayloadSchema, abortSignal, stageStatusQuery, type AbortPayload } from '../common/messages';
import { stageMarkdown } from '../common/progress-markdown';
import { shortSha, type EnvironmentPlan } from '../common/plan';
import { secretVariableNames } from '../common/secret-variables';
import type { EnvironmentStatus, StepName } from '../common/status';
import { environmentActivities } from './activities';
import { SearchAttributesPublisher } from './search-attributes';
import { activeStep, rootMessage, StepLog } from './step-log';
import { targetInputOf } from './target-input';
import { verifyRound, type VersionUnderTest } from './verify-step';

export interface StageInput {
  promotionId: string;
  app: string;
  source: SourceRef;
  artifact: string;
  environment: EnvironmentPlan;
  /** Every worker variable the promotion's config names as a secret, masked in verify output. Absent in older histories. */
  secretEnv?: string[];
  /** A rollback's stage: `source` and `artifact` are the earlier release to go back to. Absent for a promotion. */
  revert?: StageRevert;
}

/** What a rollback's stage needs besides the release it goes back to. */
export interface StageRevert {
  /** The release live now: the down files come from its checkout, and a failure deploys it back. */
  live: { sha: string; artifact: string };
  /** Policy `restore`: the backup taken before the migrations of the release that replaced the one gone back to. */
  restore?: BackupResult;
}

/** Since this change, an abort waits for the cancelled migration or deploy to stop before undoing it. */
const WAIT_FOR_CANCELLED_ACTIVITIES = 'wait-for-cancelled-activities';
/** Since this change, a stage checks first that the version can run (prepare), and runs the environment's verify commands. */
const PREPARE_AND_VERIFY = 'prepare-and-verify';

/** Since this change, a rollback's stage on a blue-green environment switches colours instead of deploying rolling over the idle one. */
const REVERT_KEEPS_BLUE_GREEN = 'revert-keeps-blue-green';
/** Since this change, a failed rollback's stage puts the database forward before it deploys the live release back. */
const REVERT_UNDOES_DATABASE_FIRST = 'revert-undoes-database-first';

interface Compensation {
  step: StepName;
  run: () => Promise<unknown>;
}

/**
 * One environment's promotion: prepare → backup → migrate → deploy (rolling, canary or
 * blue-green) → verify → stabilize. Whatever fails after the migration is undone in reverse
 * order, as a saga; a failed prepare has changed nothing, so nothing is undone.
 *
 * A rollback's stage (`revert`) goes the same way back: its migrate step brings the database back
 * to what the earlier release expects. A canary environment deploys it rolling (the earlier
 * release ran before; a canary of it would only keep the incident going longer); a blue-green one
 * brings it up in the idle colour and switches, as a promotion does: a rolling deploy there would
 * change the idle colour while users stay on the newer one.
 */
export async function stage(input: StageInput): Promise<EnvironmentStatus> {
  takePatchBaseline();
  const { artifact, revert } = input;
  const blueGreenRevert = revert !== undefined && input.environment.strategy.kind === 'blue-green' && hasPatch(REVERT_KEEPS_BLUE_GREEN);
  const env: EnvironmentPlan = revert && !blueGreenRevert ? { ...input.environment, strategy: { kind: 'rolling' } } : input.environment;
  const status: EnvironmentStatus = { name: env.name, state: 'running', steps: [] };
  // The stage's live view is its own (status query, current details, search attributes); the
  // promotion takes the final status from the result. Signalling each step to the parent would
  // be simpler for readers of the promotion alone, but the time-skipping test server stalls on
  // child-to-parent signals, and the tests must run on it.
  const attributes = new SearchAttributesPublisher();
  const publish = () => {
    const stage = activeStep(status.steps)?.name;
    attributes.publish({ app: input.app, sha: input.source.sha, environment: env.name, stage, state: status.state });
    setCurrentDetails(stageMarkdown(status));
  };
  const log = new StepLog(status.steps, publish);
  const act = environmentActivities(env.taskQueue, { waitForCancelled: hasPatch(WAIT_FOR_CANCELLED_ACTIVITIES) });
  const target = targetInputOf(input.app, env, artifact, input.source);
  const database = env.database && { app: input.app, promotionId: input.promotionId, environment: env.name, source: input.source, database: env.database };
  const prepareAndVerify = hasPatch(PREPARE_AND_VERIFY);
  const verifySettings = {
    promotionId: input.promotionId,
    // Plans in older histories have no verify; stages started before the patch run none.
    commands: prepareAndVerify ? (env.verify ?? []) : [],
    secretEnv: input.secretEnv ?? secretVariableNames(env),
  };
  // None without commands: each call and await would be two more promises, and the SDK keeps a
  // stack trace of every promise a workflow makes.
  const verify: Verify | undefined = verifySettings.commands.length > 0 ? (under) => verifyRound(log, act, target, verifySettings, under) : undefined;
  const compensations: Compensation[] = [];
  const pipeline = new CancellationScope();
  let aborted: AbortPayload | undefined;

  setHandler(stageStatusQuery, () => status);
  setHandler(abortSignal, (raw) => {
    const parsed = abortPayloadSchema.safeParse(raw);
    if (!parsed.success) return; // the promotion validates and records aborts; this is its forwarded copy
    aborted ??= parsed.data;
    pipeline.cancel();
  });

  log.plan([
    ...(prepareAndVerify ? ['prepare' as const] : []),
    ...(env.backup ? ['backup' as const] : []),
    ...(database ? ['migrate' as const] : []),
    deployStepOf(env.strategy),
    ...(verify ? ['verify' as const] : []),
    'stabilize',
  ]);

  try {
    await pipeline.run(async () => {
      if (prepareAndVerify) {
        // Before anything changes: a secret missing on this worker fails here, with nothing to undo.
        await log.run('prepare', () => act.target.prepare(target, `check that ${target.version} can run in ${env.name}`));
      }
      let backup: BackupResult | undefined;
      if (database && env.backup) {
        // A rollback's restore needs the backup it goes back to: this one must not prune it.
        const input = revert?.restore ? { ...database, keepBackup: revert.restore.file } : database;
        backup = await log.run('backup', () => act.database.backupDatabase(input, `back up ${env.name}'s database`), describeBackup);
      }
      if (database && revert) {
        const live = { ...input.source, sha: revert.live.sha };
        // Registered first: a revert that fails half-way has still changed something to put forward again.
        compensations.push({
          step: 'undo-migration',
          run: () =>
            database.database.undo === 'restore'
              ? act.compensation.revertDatabase({ ...database, live, restore: backup }, `put ${env.name}'s database back as this rollback found it (restore)`)
              : act.compensation.migrateDatabase({ ...database, source: live }, `migrate ${env.name} forward again to ${shortSha(live.sha)}`),
        });
        const reverted = await log.run(
          'migrate',
          () => act.database.revertDatabase({ ...database, live, restore: revert.restore }, `bring ${env.name}'s database back to ${shortSha(input.source.sha)} (${database.database.undo})`),
          (r) => `${describeRevert(r)} (${database.database.undo})`,
        );
        status.database = { ...(backup ? { backupBefore: backup } : {}), migrations: reverted.migrations };
      } else if (database) {
        // Registered first: a migration that fails half-way has still changed something to undo.
        compensations.push({
          step: 'undo-migration',
          run: () => act.compensation.undoMigrations({ ...database, backup }, `undo ${env.name}'s migrations (${database.database.undo})`),
        });
        const migrated = await log.run(
          'migrate',
          () => act.database.migrateDatabase(database, `migrate ${env.name}`),
          (r) => (r.applied.length ? `applied ${r.applied.join(', ')}` : 'nothing to apply'),
        );
        // For the environment's ledger: what the database holds once this release is live.
        status.database = { ...(backup ? { backupBefore: backup } : {}), ...(migrated.migrations ? { migrations: migrated.migrations } : {}) };
      }
      if (revert && blueGreenRevert) {
        // The live release keeps running in its colour until retired: undo switches back to it.
        const switchBack: Compensation = { step: 'rollback', run: () => act.compensation.rollback(target, `switch ${env.name} back to ${revert.live.artifact}`) };
        compensations.unshift(switchBack);
      } else if (revert) {
        const liveTarget = targetInputOf(input.app, env, revert.live.artifact, { ...input.source, sha: revert.live.sha });
        const deployBack: Compensation = { step: 'rollback', run: () => act.compensation.deploy(liveTarget, `deploy ${revert.live.artifact} back to ${env.name}`) };
        // Undo runs newest first; the live release deployed back needs its schema, so the
        // database goes forward before it: first registered, last run.
        if (hasPatch(REVERT_UNDOES_DATABASE_FIRST)) compensations.unshift(deployBack);
        else compensations.push(deployBack);
      } else {
        compensations.push({ step: 'rollback', run: () => act.compensation.rollback(target, `roll ${env.name} back`) });
      }
      await deploy(env, target, act, log, verify);
      const switchedAt = Date.now();
      await stabilize(env, target, act, log);
      if (env.strategy.kind === 'blue-green') await retirePreviousColour(env.strategy.keepPrevious, switchedAt, target, act);
    });
    status.state = 'succeeded';
    log.closePending('not needed');
    return status;
  } catch (error) {
    status.error = aborted ? `aborted by ${aborted.by}: ${aborted.reason}` : rootMessage(error);
    const undoFailures = await CancellationScope.nonCancellable(() => compensate(compensations, log));
    status.state = aborted || isCancellation(error) ? 'aborted' : compensations.length > 0 ? 'rolled-back' : 'failed';
    if (undoFailures.length > 0) {
      status.state = 'failed';
      status.error += `; undo failed: ${undoFailures.join('; ')}`;
    }
    log.closePending(`not run: ${status.state}`);
    throw ApplicationFailure.nonRetryable(status.error, aborted ? FailureType.Aborted : 'StageFailed', status);
  }
}

function deployStepOf(strategy: StrategyConfig): StepName {
  return strategy.kind === 'canary' ? 'canary' : 'deploy';
}

type Activities = ReturnType<typeof environmentActivities>;

/** Runs the environment's verify commands against `under`; a stage without any has none to call. */
type Verify = (under: VersionUnderTest) => Promise<void>;

async function deploy(env: EnvironmentPlan, target: TargetInput, act: Activities, log: StepLog, verify: Verify | undefined): Promise<void> {
  const strategy = env.strategy;
  switch (strategy.kind) {
    case 'rolling':
      await log.run(
        'deploy',
        () => act.target.deploy(target, `roll ${env.name} to ${target.version}`),
        (r) => (r.previousVersion ? `replaced ${r.previousVersion}` : 'first deploy'),
      );
      if (verify) await verify({ kind: 'deployed' });
      return;
    case 'blue-green':
      await log.run(
        'deploy',
        async (step) => {
          await act.target.setCanaryWeight({ ...target, weight: 0 }, `bring up ${target.version} beside the live colour in ${env.name}`);
          log.update(step, 'analysing the new colour');
          // The idle colour has no traffic to count: HTTP checks and the target's own view judge it.
          await analyse(act, target, { ...env.analysis, minRequests: 0 }, `analyse ${target.version} before the switch`);
          if (verify) await verify({ kind: 'new-colour' });
          await act.target.promote(target, `switch ${env.name}'s traffic to ${target.version}`);
          return `switched; previous colour kept ${formatDuration(strategy.keepPrevious)}`;
        },
        (detail) => detail,
      );
      return;
    case 'canary':
      await log.run(
        'canary',
        async (step) => {
          for (const weight of strategy.steps) {
            log.update(step, `weight ${weight}%`);
            if (weight === 100) {
              await act.target.promote(target, `promote the canary in ${env.name} to 100%`);
              break;
            }
            await act.target.setCanaryWeight({ ...target, weight }, `send ${weight}% of ${env.name}'s traffic to the canary`);
            // Before the pause: a canary that fails its tests stops taking users' requests at once.
            if (verify) await verify({ kind: 'canary', weight });
            await sleep(strategy.pause, { summary: `canary at ${weight}%: pause ${formatDuration(strategy.pause)}` });
            await analyse(act, target, env.analysis, `analyse the canary at ${weight}%`, weight);
          }
          return `promoted through ${strategy.steps.join(' → ')}%`;
        },
        (detail) => detail,
      );
      if (verify) await verify({ kind: 'deployed' });
      return;
  }
}

async function analyse(act: Activities, target: TargetInput, analysis: AnalysisConfig, summary: string, weight?: number): Promise<void> {
  const result = await act.target.analyze({ ...target, analysis }, summary);
  if (!result.healthy) {
    const where = weight === undefined ? '' : ` at ${weight}%`;
    throw ApplicationFailure.nonRetryable(`analysis failed${where}: ${result.reasons.join('; ')}`, FailureType.AnalysisFailed, result);
  }
}

/** The old colour stays up for `keepPrevious` after the switch, for an instant switch back. */
async function retirePreviousColour(keepPrevious: number, switchedAt: number, target: TargetInput, act: Activities): Promise<void> {
  const left = keepPrevious - (Date.now() - switchedAt);
  if (left > 0) await sleep(left, { summary: `keep the previous colour for ${formatDuration(left)} more` });
  await act.target.retirePrevious(target, `retire the previous colour in ${target.environment}`);
}

/** Soak time: a durable timer split by health checks, so a failure in minute 9 is caught in minute 9. */
async function stabilize(env: EnvironmentPlan, target: TargetInput, act: Activities, log: StepLog): Promise<void> {
  await log.run(
    'stabilize',
    async (step) => {
      const interval = Math.min(env.healthCheckInterval, env.stabilize);
      let elapsed = 0;
      while (elapsed < env.stabilize) {
        const wait = Math.min(interval, env.stabilize - elapsed);
        await sleep(wait, { summary: `stabilize ${env.name}: ${formatDuration(elapsed + wait)} of ${formatDuration(env.stabilize)}` });
        elapsed += wait;
        const health = await act.health.checkHealth({ ...target, analysis: env.analysis }, `health check after ${formatDuration(elapsed)}`);
        if (!health.healthy) {
          throw ApplicationFailure.nonRetryable(`health check failed ${formatDuration(elapsed)} into stabilize: ${health.reasons.join('; ')}`, FailureType.HealthCheckFailed, health);
        }
        log.update(step, `healthy for ${formatDuration(elapsed)} of ${formatDuration(env.stabilize)}`);
      }
      return `healthy for ${formatDuration(env.stabilize)}`;
    },
    (detail) => detail,
  );
}

/** Runs the undo steps newest first; each runs even if another failed. Returns what could not be undone. */
async function compensate(compensations: Compensation[], log: StepLog): Promise<string[]> {
  const failures: string[] = [];
  for (const compensation of [...compensations].reverse()) {
    try {
      await log.run(compensation.step, compensation.run, () => 'done');
    } catch (error) {
      failures.push(`${compensation.step}: ${rootMessage(error)}`);
    }
  }
  return failures;
}

function describeRevert(r: RevertDatabaseResult): string {
  const parts = [r.reverted.length ? `reverted ${r.reverted.join(', ')}` : 'nothing to revert', ...(r.applied?.length ? [`applied ${r.applied.join(', ')}`] : [])];
  return parts.join('; ');
}

function describeBackup(backup: BackupResult): string {
  return `${backup.file} (${backup.bytes} bytes, sha256 ${backup.sha256.slice(0, 12)})`;
}
