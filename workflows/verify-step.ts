import type { TargetInput } from '../common/activity-contracts';
import type { VerifyConfig } from '../common/config-schema';
import { formatDuration } from '../common/duration';
import type { environmentActivities } from './activities';
import type { StepLog } from './step-log';

/** What the commands run against: the version as deployed, a canary at its weight, or blue-green's idle colour. */
export type VersionUnderTest = { kind: 'deployed' } | { kind: 'canary'; weight: number } | { kind: 'new-colour' };

interface VerifySettings {
  promotionId: string;
  commands: VerifyConfig[];
  secretEnv: string[];
}

/**
 * The environment's verify commands, in order, as one `verify` step. A canary runs them in rounds
 * (after each weight, then after the promote): one step whose attempts count the rounds and whose
 * detail is the latest round's. The first failure fails the step and the stage.
 */
export async function verifyRound(
  log: StepLog,
  act: ReturnType<typeof environmentActivities>,
  target: TargetInput,
  { promotionId, commands, secretEnv }: VerifySettings,
  under: VersionUnderTest,
): Promise<void> {
  const due = under.kind === 'canary' ? commands.filter((c) => c.afterEachCanaryStep) : commands;
  if (due.length === 0) return;
  const where = under.kind === 'canary' ? `canary at ${under.weight}%: ` : '';
  const against = {
    deployed: target.version,
    canary: `the canary at ${under.kind === 'canary' ? under.weight : 0}%`,
    'new-colour': `the new colour ${target.version}`,
  }[under.kind];
  await log.run(
    'verify',
    async (step) => {
      const passed: string[] = [];
      for (const verify of due) {
        log.update(step, `${where}${[...passed, `running ${verify.name}`].join('; ')}`);
        const input = { ...target, promotionId, verify, secretEnv, ...(under.kind === 'canary' ? { canaryWeight: under.weight } : {}) };
        const result = await act.verify(verify.timeout).verify(input, `verify ${verify.name} against ${against} in ${target.environment}`);
        passed.push(`${verify.name} passed in ${formatDuration(result.durationMs)}`);
      }
      return `${where}${passed.join('; ')}`;
    },
    (detail) => detail,
    { again: true },
  );
}
