// Verify: one of an environment's test commands, run in a private worktree of the release against
// the address of exactly the version under test (the canary's own address for a canary step).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { VerifyActivities, VerifyInput, VerifyResult } from '../common/activity-contracts';
import { VERIFY_TIMEOUT_MAX_MS } from '../common/config-schema';
import { FailureType } from '../common/errors';
import { parseActivityInput } from '../common/activity-input';
import { commandEnvironment } from './command-environment';
import { stopEarlierAttempts } from './command-records';
import { createMasker, secretsIn } from './secret-masking';
import { ownerOf, runScript, script, throwUnlessSucceeded, variableNames } from './shell-script';
import { withTarget, type TargetSettings } from './targets/activities';
import { targetInputSchema } from './targets/target-input';
import { withWorktree } from './worktree';

/** The target's input, bounded as the target activities bound it, and the command's own fields. */
const verifyInputSchema = targetInputSchema.extend({
  promotionId: z.string().min(1, 'must not be empty').max(1_000),
  verify: z.object({
    name: z.string().min(1).max(100),
    command: script,
    timeout: z.number().int().positive().max(VERIFY_TIMEOUT_MAX_MS, 'must be at most 24h'),
    passEnv: variableNames,
  }),
  canaryWeight: z.number().int().min(0).max(100).optional(),
  secretEnv: variableNames,
});
type VerifyFields = z.output<typeof verifyInputSchema>;

/** What the command is tested against, as its messages say it. */
function against(input: { version: string; environment: string; canaryWeight?: number }): string {
  const what = input.canaryWeight === undefined ? input.version : `the canary ${input.version} at ${input.canaryWeight}%`;
  return `${what} in ${input.environment}`;
}

/**
 * The address of exactly `version`, from the target itself. None: refused for good, either because
 * the target cannot give one (a Kubernetes target without `url`), or because the version does not run.
 * The canary's address while it is one: targets list the version running beside the stable first.
 */
async function addressOf(input: VerifyFields, settings: TargetSettings, label: string): Promise<string> {
  // The config refuses this (common/verify-rules.ts); a plan from elsewhere is refused before any cluster is asked.
  if (input.target.kind === 'kubernetes' && !input.target.url) {
    throw ApplicationFailure.nonRetryable(
      `${label}: ${input.environment}'s Kubernetes target has no url, so the version under test has no address for FERRY_URL: set target.url`,
      FailureType.InvalidInput,
    );
  }
  const snapshot = await withTarget(input, settings, (target) => target.snapshot(input.version, 1_000));
  if (snapshot.baseUrl) return snapshot.baseUrl;
  if (snapshot.problems.length > 0) {
    throw ApplicationFailure.nonRetryable(`${label}: ${against(input)} has no address: ${snapshot.problems.join('; ')}`, FailureType.VerifyFailed);
  }
  throw ApplicationFailure.nonRetryable(`${label}: ${input.environment}'s target gives no address for ${input.version}, and FERRY_URL must be one: set target.url`, FailureType.InvalidInput);
}

export function verifyActivities(settings: TargetSettings): VerifyActivities {
  return {
    async verify(input: VerifyInput): Promise<VerifyResult> {
      const context = Context.current();
      const fields = parseActivityInput(verifyInputSchema, input, 'verify');
      const { promotionId, environment, version, source, verify, secretEnv } = fields;
      const label = `verify ${verify.name}`;
      const url = await addressOf(fields, settings, label);
      const env = commandEnvironment(process.env, verify.passEnv, {
        ...fields.appEnvironment?.variables,
        FERRY_URL: url,
        ENVIRONMENT: environment,
        VERSION: version,
        COMMIT: source.sha,
      });
      // Every secret of the worker, not only those passed: a test may find one another way (a file, a tool).
      const mask = createMasker(secretsIn(process.env, secretEnv));
      await stopEarlierAttempts(ownerOf(context.info), (message) => context.log.warn(`${label}: ${message}`));
      return withWorktree(source, promotionId, async (cwd) => {
        context.log.info(`${label}: against ${against(fields)} at ${url}`);
        // The timeout is the command's own: finding the address and checking the release out do not count.
        const startedAt = Date.now();
        const run = await runScript(context, { label, script: verify.command, cwd, env, deadline: startedAt + verify.timeout, mask });
        throwUnlessSucceeded(label, run.ending, run.tail, verify.timeout, { type: FailureType.VerifyFailed, context: ` against ${against(fields)}` });
        return { durationMs: Date.now() - startedAt, url };
      });
    },
  };
}
