// Build and test: a shell command run in a private worktree of the release (see shell-script.ts).
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { CommandInput, CommandResult } from '../common/activity-contracts';
import { parseActivityInput } from '../common/activity-input';
import { sourceRefSchema } from '../git/repository';
import { commandEnvironment } from './command-environment';
import { stopEarlierAttempts } from './command-records';
import { createMasker, secretsIn } from './secret-masking';
import { ownerOf, runScript, script, throwUnlessSucceeded, variableName, variableNames } from './shell-script';
import { withWorktree } from './worktree';

const commandInputSchema = z.object({
  promotionId: z.string().min(1, 'must not be empty').max(1_000),
  source: sourceRefSchema,
  command: script,
  skipIf: script.optional(),
  timeoutMs: z.number().int().positive(),
  env: z.record(variableName, z.string().max(10_000)).refine((env) => Object.keys(env).length <= 100, 'must hold at most 100 variables'),
  // Histories from before passEnv and secretEnv have neither.
  passEnv: variableNames.default([]),
  secretEnv: variableNames.default([]),
});

type Step = 'build' | 'test';

async function runStep(step: Step, input: CommandInput): Promise<CommandResult> {
  const context = Context.current();
  const { promotionId, source, command, skipIf, timeoutMs, env, passEnv, secretEnv } = parseActivityInput(commandInputSchema, input, step);
  const startedAt = Date.now();
  // One budget for the whole step: a slow skipIf check eats into the command's time.
  const deadline = startedAt + timeoutMs;
  const shellEnv = commandEnvironment(process.env, passEnv, env);
  // Every secret of the worker, not only those passed: a command may find one another way (a file, a tool).
  const mask = createMasker(secretsIn(process.env, secretEnv));
  await stopEarlierAttempts(ownerOf(context.info), (message) => context.log.warn(`${step}: ${message}`));

  return withWorktree(source, promotionId, async (cwd) => {
    // Only a build may be skipped (its artifact already exists); a release is tested every time.
    if (step === 'build' && skipIf) {
      const label = `${step} skipIf`;
      const check = await runScript(context, { label, script: skipIf, cwd, env: shellEnv, deadline, mask });
      if (check.ending.kind === 'exited') {
        if (check.ending.code === 0) {
          context.log.info(`${step}: skipped, because skipIf succeeded`);
          return { skipped: true, durationMs: Date.now() - startedAt };
        }
      } else {
        throwUnlessSucceeded(label, check.ending, check.tail, timeoutMs);
      }
    }
    const run = await runScript(context, { label: step, script: command, cwd, env: shellEnv, deadline, mask });
    throwUnlessSucceeded(step, run.ending, run.tail, timeoutMs);
    return { skipped: false, durationMs: Date.now() - startedAt };
  });
}

export const build = (input: CommandInput): Promise<CommandResult> => runStep('build', input);
export const test = (input: CommandInput): Promise<CommandResult> => runStep('test', input);
