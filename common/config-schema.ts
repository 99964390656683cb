import { z } from 'zod';
import { durationSchema } from './duration';
import { freezeWindowSchema } from './freeze-windows';

/**
 * Cross-field checks run even when the object also has type errors, so a user sees every
 * problem in one go. Their input may then be partly unparsed: each check guards its types.
 */
const evenWithOtherProblems = {
  when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null,
};

const name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'must be lowercase letters, digits and dashes (at most 40)');

/** Secrets never sit in config or workflow input: only the name of the variable that holds them. */
const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable');

const commandSchema = z
  .object({
    command: z.string().min(1, 'must not be empty'),
    timeout: durationSchema.prefault('30m'),
    /** A command that exits 0 when the artifact already exists, so a re-run skips the build. */
    skipIf: z.string().min(1).optional(),
  })
  .strict();

const port = z.number().int().min(1024, 'must be between 1024 and 65535').max(65535, 'must be between 1024 and 65535');

const localTargetSchema = z
  .object({
    kind: z.literal('local'),
    /** Runs one version from its release folder; gets PORT, VERSION, COMMIT and ENVIRONMENT. */
    start: z.string().min(1, 'must not be empty'),
    /** Where the environment's weighted proxy listens. */
    port,
    /** Where the proxy serves its counters in Prometheus' text format, when set. */
    metricsPort: port.optional(),
    healthPath: z.string().startsWith('/').default('/healthz'),
    /** How long a started version may take to answer its health path. */
    startTimeout: durationSchema.prefault('30s'),
  })
  .strict();

const kubernetesTargetSchema = z
  .object({
    kind: z.literal('kubernetes'),
    /** A context of the worker's kubeconfig (KUBECONFIG or ~/.kube/config). */
    context: z.string().min(1),
    namespace: name,
    deployment: name,
    /** The container whose image is set; the Deployment's first container when not given. */
    container: name.optional(),
    /** The Service in front of the app; blue-green switches its selector. */
    service: name.optional(),
    /** Where the worker reaches the Service, for HTTP checks given by path. */
    url: z.url().optional(),
  })
  .strict();

const targetSchema = z.discriminatedUnion('kind', [localTargetSchema, kubernetesTargetSchema]);

const httpCheckSchema = z
  .object({
    /** Relative to the version under analysis (local target, or a Kubernetes target with `url`). */
    path: z.string().startsWith('/').optional(),
    url: z.url().optional(),
    expectStatus: z.number().int().min(100).max(599).default(200),
    maxLatencyMs: z.number().positive('must be positive').default(1000),
  })
  .strict()
  .refine((check) => (check.path === undefined) !== (check.url === undefined), 'needs exactly one of path and url');

/** PromQL returning one number; {version} and {environment} are filled in. */
const promQuery = z.string().min(1, 'must not be empty');

/** How Ferry judges a version: in canary steps, before a blue-green switch, and while it stabilizes. */
const analysisSchema = z
  .object({
    maxErrorRate: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.01),
    maxP95LatencyMs: z.number().positive('must be positive').optional(),
    /** The traffic judged: the last `window`, or less when the version's share changed since. */
    window: durationSchema.prefault('1m'),
    /** Analysis waits (up to `maxWait`) until the version has served this many requests. */
    minRequests: z.number().int().min(0).default(0),
    maxWait: durationSchema.prefault('2m'),
    http: z.array(httpCheckSchema).default([]),
    prometheus: z
      .object({ url: z.url(), errorRate: promQuery.optional(), p95LatencyMs: promQuery.optional() })
      .strict()
      .optional(),
  })
  .strict();

// Not `.int()`: it would stop the checks of the whole list at the first fraction.
const weightStep = z
  .number()
  .min(1, 'must be between 1 and 100')
  .max(100, 'must be between 1 and 100')
  .refine(Number.isInteger, 'must be a whole number');

const strategySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rolling') }).strict(),
  z
    .object({
      kind: z.literal('canary'),
      steps: z
        .array(weightStep)
        .min(1, 'needs at least one weight')
        .superRefine((steps, ctx) => {
          steps.forEach((weight, i) => {
            if (i > 0 && typeof weight === 'number' && weight <= steps[i - 1]) {
              ctx.addIssue({ code: 'custom', path: [i], message: `must be greater than the step before (${steps[i - 1]})` });
            }
          });
          if (steps.length > 0 && steps.at(-1) !== 100) {
            ctx.addIssue({ code: 'custom', path: [steps.length - 1], message: 'the last step must be 100' });
          }
        }, evenWithOtherProblems),
      pause: durationSchema.prefault('1m'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('blue-green'),
      /** How long the old colour is kept after the switch, for an instant switch back. */
      keepPrevious: durationSchema.prefault('10m'),
    })
    .strict(),
]);

const databaseSchema = z
  .object({
    urlEnv: envVarName,
    migrations: z.string().min(1).default('migrations'),
    undo: z.enum(['down', 'restore']).default('down'),
  })
  .strict();

const approvalSchema = z
  .object({
    required: z.number().int().min(1, 'must be at least 1').default(1),
    approvers: z.array(z.string().min(1)).optional(),
    preventSelfApproval: z.boolean().default(true),
    timeout: durationSchema.prefault('72h'),
    onTimeout: z.enum(['reject', 'approve']).default('reject'),
  })
  .strict()
  .superRefine((approval, ctx) => {
    if (Array.isArray(approval.approvers) && typeof approval.required === 'number' && approval.approvers.length < approval.required) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvers'],
        message: `lists ${approval.approvers.length} approver(s) but ${approval.required} are required`,
      });
    }
  }, evenWithOtherProblems);

const environmentSchema = z
  .object({
    name,
    target: targetSchema,
    database: databaseSchema.optional(),
    backup: z.boolean().default(false),
    strategy: strategySchema.default({ kind: 'rolling' }),
    analysis: analysisSchema.prefault({}),
    stabilize: durationSchema.prefault('15m'),
    healthCheckInterval: durationSchema.prefault('30s'),
    approval: approvalSchema.optional(),
    freezeWindows: z.array(freezeWindowSchema).default([]),
    /** Runs this environment's side effects on a worker inside its own network. */
    taskQueue: z.string().min(1).optional(),
    notify: z.object({ webhookEnv: envVarName }).strict().optional(),
  })
  .strict()
  .superRefine((env, ctx) => {
    if (env.database?.undo === 'restore' && !env.backup) {
      ctx.addIssue({ code: 'custom', path: ['database', 'undo'], message: 'is "restore" but backup is off: set backup: true' });
    }
    const target = env.target as Partial<TargetConfig> | undefined;
    if (target?.kind === 'kubernetes' && !target.url) {
      env.analysis?.http?.forEach((check, i) => {
        if (check?.path !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['analysis', 'http', i, 'path'], message: 'needs target.url: the Kubernetes target has no address of its own' });
        }
      });
    }
    if (env.backup && !env.database) {
      ctx.addIssue({ code: 'custom', path: ['backup'], message: 'is on but the environment has no database' });
    }
    const bothParsed = typeof env.healthCheckInterval === 'number' && typeof env.stabilize === 'number';
    if (bothParsed && env.healthCheckInterval > env.stabilize && env.stabilize > 0) {
      ctx.addIssue({ code: 'custom', path: ['healthCheckInterval'], message: 'is longer than stabilize' });
    }
  }, evenWithOtherProblems);

export const ferryConfigSchema = z
  .object({
    app: name,
    repo: z.string().min(1, 'must be a local path or a git URL'),
    /** How the artifact is named from the commit: {app}, {sha} and {shortSha} are filled in. */
    artifact: z.string().min(1).default('{app}:{shortSha}'),
    build: commandSchema,
    test: commandSchema.optional(),
    /** The task queue of the promotion workflows and of environments without their own. */
    taskQueue: z.string().min(1).default('ferry'),
    environments: z
      .array(environmentSchema)
      .min(1, 'needs at least one environment')
      .superRefine((envs, ctx) => {
        const seen = new Map<string, number>();
        envs.forEach((env, i) => {
          if (typeof env?.name !== 'string') return;
          const first = seen.get(env.name);
          if (first !== undefined) {
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${env.name}" is already used by environments[${first}]` });
          }
          seen.set(env.name, i);
        });
        // Two local environments on one port would put one proxy in front of the other's versions.
        const ports = new Map<number, string>();
        envs.forEach((env, i) => {
          if (env?.target?.kind !== 'local') return;
          for (const key of ['port', 'metricsPort'] as const) {
            const value = env.target[key];
            if (typeof value !== 'number') continue;
            const owner = ports.get(value);
            if (owner) ctx.addIssue({ code: 'custom', path: [i, 'target', key], message: `${value} is already used by ${owner}` });
            ports.set(value, `environments[${i}].target.${key}`);
          }
        });
      }, evenWithOtherProblems),
  })
  .strict();

export type FerryConfig = z.output<typeof ferryConfigSchema>;
export type FerryConfigInput = z.input<typeof ferryConfigSchema>;
export type EnvironmentConfig = FerryConfig['environments'][number];
export type TargetConfig = EnvironmentConfig['target'];
export type StrategyConfig = EnvironmentConfig['strategy'];
export type AnalysisConfig = z.output<typeof analysisSchema>;
export type ApprovalConfig = NonNullable<EnvironmentConfig['approval']>;
export type DatabaseConfig = NonNullable<EnvironmentConfig['database']>;
export type CommandConfig = FerryConfig['build'];
