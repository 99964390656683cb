// The target activities' input, checked once before a target is built from it: the target config
// by the config's own schemas (so a field is bounded and refused alike in both places), with
// durations as the plan carries them, in milliseconds.
import { z } from 'zod';
import { kubernetesTargetSchema, localTargetSchema } from '../../common/config-schema';
import { sourceRefSchema } from '../../git/repository';
import { variableName } from '../shell-script';

/** A week: far beyond any start-up, small enough that a timer never overflows. */
const START_TIMEOUT_MAX_MS = 7 * 86_400_000;

const targetSchema = z.discriminatedUnion('kind', [localTargetSchema.extend({ startTimeout: z.number().int().positive().max(START_TIMEOUT_MAX_MS) }), kubernetesTargetSchema]);

const boundedRecord = <T extends z.ZodType>(value: T, max: number, what: string) => z.record(variableName, value).refine((r) => Object.keys(r).length <= max, `must have at most ${max} ${what}`);

export const appEnvironmentSchema = z.object({
  variables: boundedRecord(z.string().max(4_096), 100, 'variables'),
  // The config's secrets and the database URL's variable.
  secrets: boundedRecord(variableName, 51, 'secrets'),
});

export const targetInputSchema = z.object({
  app: z.string().min(1).max(40),
  environment: z.string().min(1).max(40),
  target: targetSchema,
  strategy: z.enum(['rolling', 'canary', 'blue-green']),
  version: z.string().min(1).max(500),
  source: sourceRefSchema,
  // Absent in stages started before environments had variables.
  appEnvironment: appEnvironmentSchema.optional(),
});
