import { z } from 'zod';
import { durationSchema } from './duration';
import { freezeEndsAt, freezeWindowSchema, type FreezeWindow } from './freeze-windows';
import { appEnvironmentIssues } from './app-environment-rules';
import { kubernetesClaim, kubernetesModeIssues, overlaps, type KubernetesClaim } from './kubernetes-mode-rules';
import { placeholderIssues } from './placeholder-rules';
import { verifyIssues } from './verify-rules';
import { branchNameOk, releaseOrderIssues } from './release-order-rules';
import { credentialsInPath, credentialsInRepo, credentialsInUrl } from './url-credentials';

/**
 * Cross-field checks run even when the object also has type errors, so a user sees every
 * problem in one go. Their input may then be partly unparsed: each check guards its types.
 */
const evenWithOtherProblems = {
  when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null,
};

// Bounds: every string and list has one, so a config (and the plan made of it, which travels in
// the workflow input) stays small, and an error never echoes megabytes. Each is far above what a
// real pipeline needs; the error says the bound.
// `abort`: a string over its bound is not checked further (no regex runs over megabytes).
// No text holds a NUL: a process cannot take one in its command line or environment.
const text = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters`, abort: true })
    .refine((s) => !s.includes('\0'), 'must not hold a NUL character');
const list = <T extends z.ZodType>(item: T, max: number, what: string) => z.array(item).max(max, `must list at most ${max} ${what}`);
/** Keys are variable names (checked in the refinement, where the error can name the key). */
const boundedRecord = <T extends z.ZodType>(value: T, max: number, what: string) =>
  z.record(z.string().max(128, { message: 'names must be at most 128 characters', abort: true }), value).refine((r) => Object.keys(r).length <= max, `must have at most ${max} ${what}`);

/** A command line; a longer script belongs in a file in the repository. */
const COMMAND_MAX = 10_000;
/** Longer than any URL a browser or proxy takes. */
const URL_MAX = 2_048;
const PATH_MAX = 1_024;

const name = text(40).regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'must be lowercase letters, digits and dashes (at most 40)');

/** Secrets never sit in config or workflow input: only the name of the variable that holds them. */
const envVarName = text(128).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable');

/** A duration as written in config (`15m`); bounded before it is parsed, so its error stays short. */
const duration = text(40).pipe(durationSchema);
/** A wait or timeout of 0 would end at once (or, for a check interval, loop without pause). */
const positiveDuration = duration.refine((ms) => ms > 0, 'must be longer than 0');

/**
 * A task queue must be exactly the name the worker polls: a blank one, or one with spaces around
 * it, would leave the promotion waiting for a worker that never comes.
 */
const taskQueue = text(200).regex(/^\S(.*\S)?$/, 'must not be blank, nor begin or end with spaces');

/**
 * HTTP headers whose values are secrets (`{ Authorization: PROM_AUTH }`): the header's name, and
 * the name of the worker variable holding its value, read by the worker when it checks.
 */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
// Names (and their bound of 100 characters) are checked in the refinement: zod's own error for a
// bad record key says only "Invalid key in record".
const headersEnvSchema = z.record(z.string(), envVarName).superRefine((headers, ctx) => {
  const names = Object.keys(headers);
  if (names.length > 10) ctx.addIssue({ code: 'custom', message: 'must name at most 10 headers' });
  const seen = new Set<string>();
  for (const header of names.slice(0, 10)) {
    const lower = header.toLowerCase();
    if (!HEADER_NAME.test(header)) ctx.addIssue({ code: 'custom', message: `"${header.slice(0, 100)}" is not an HTTP header name` });
    else if (seen.has(lower)) ctx.addIssue({ code: 'custom', message: `names the header "${lower}" twice (header names ignore case)` });
    seen.add(lower);
  }
}, evenWithOtherProblems);

/**
 * Refuses a credential inside a URL (it would travel in workflow history), saying which field
 * takes it from a worker variable instead; the message never repeats the credential.
 */
const credentialsProblem = (what: string, advice: string) => `must not hold credentials (${what}): name a worker variable ${advice}`;
const headerAdvice = (field: string, variable: string) => `in ${field} instead, e.g. { Authorization: ${variable} }`;

/** A command the config cannot do without: its absence is named as such, not as a type error. */
const requiredCommand = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a command line') })
  .max(COMMAND_MAX, { message: `must be at most ${COMMAND_MAX} characters`, abort: true })
  .min(1, 'must not be empty')
  .refine((s) => s.length === 0 || /\S/.test(s), 'must not be blank')
  .refine((s) => !s.includes('\0'), 'must not hold a NUL character');

const commandSchema = z
  .object({
    command: requiredCommand,
    timeout: positiveDuration.prefault('30m'),
    /** A command that exits 0 when the artifact already exists, so a re-run skips the build. */
    skipIf: text(COMMAND_MAX).min(1).optional(),
    /** Worker variables the command may see beyond the small allow-list every command gets. */
    passEnv: list(envVarName, 50, 'variables').default([]),
  })
  .strict();

const port = z.number().int().min(1024, 'must be between 1024 and 65535').max(65535, 'must be between 1024 and 65535');

/** Names must differ within their list: status, history and errors tell the entries apart by name. */
const uniqueNames =
  (what: string, reserved: string[] = []) =>
  (entries: { name?: unknown }[], ctx: z.RefinementCtx) => {
    // Runs even when the list did not parse (evenWithOtherProblems): it may not be a list at all.
    if (!Array.isArray(entries)) return;
    const seen = new Map<string, number>();
    entries.forEach((entry, i) => {
      if (typeof entry?.name !== 'string') return;
      if (reserved.includes(entry.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${entry.name}" is reserved` });
      const first = seen.get(entry.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${entry.name}" is already the name of ${what}[${first}]` });
      else seen.set(entry.name, i);
    });
  };

/** A process of a version beside its web process: supervised and judged by staying up; it gets no port. */
const processSchema = z.object({ name, start: requiredCommand }).strict();

export const localTargetSchema = z
  .object({
    kind: z.literal('local'),
    /** Runs one version's web process from its release folder; gets PORT, VERSION, COMMIT and ENVIRONMENT. */
    start: requiredCommand,
    /** The version's other processes (workers), started from the same folder with the same settings but no port. */
    // Optional, not defaulted: plans in older histories have none, and the type says so.
    processes: list(processSchema, 20, 'processes')
      .superRefine(uniqueNames('processes', ['web']), evenWithOtherProblems)
      .optional(),
    /** Where the environment's weighted proxy listens. */
    port,
    /** Where the proxy serves its counters in Prometheus' text format, when set. */
    metricsPort: port.optional(),
    healthPath: text(PATH_MAX).startsWith('/').default('/healthz'),
    /** How long a started version may take to answer its health path. */
    startTimeout: positiveDuration.prefault('30s'),
  })
  .strict();

export const kubernetesTargetSchema = z
  .object({
    kind: z.literal('kubernetes'),
    /** A context of the worker's kubeconfig (KUBECONFIG or ~/.kube/config). */
    context: text(253).min(1),
    namespace: name,
    /**
     * Image mode: the Deployment whose image is set. With `manifests`: the Deployment that takes
     * the canary (needed for a canary only).
     */
    deployment: name.optional(),
    /**
     * Manifests mode: the environment's manifests come from the repository at the promoted commit
     * (a kustomize overlay or a folder of plain manifests), rendered with the artifact's image, the
     * environment's variables and secrets, and applied server-side; every Deployment in them is
     * rolled out and watched.
     */
    manifests: z
      .object({
        /** Relative to the repository's root, e.g. k8s/overlays/staging. */
        path: text(PATH_MAX)
          .min(1, 'must not be empty')
          .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the repository (relative, without ..)'),
        /** The image name in the manifests that becomes the artifact; the artifact's name without its tag when not given. */
        image: text(500).min(1).optional(),
      })
      .strict()
      .optional(),
    /** The container whose image is set (image mode); the Deployment's first container when not given. */
    container: name.optional(),
    /** The Service in front of the app; blue-green switches its selector. */
    service: name.optional(),
    /**
     * Where the worker reaches the app, for HTTP checks given by path. `{service}` is filled with
     * the Service that reaches the version under analysis alone (`<service>-canary`,
     * `<service>-preview`, or `service`), e.g. http://{service}.shop.svc.cluster.local:8080.
     */
    url: z
      .url()
      .max(URL_MAX, `must be at most ${URL_MAX} characters`)
      .superRefine((url, ctx) => {
        const what = credentialsInUrl(url);
        if (what) ctx.addIssue({ code: 'custom', message: credentialsProblem(what, headerAdvice('analysis.http[].headersEnv', 'HEALTH_AUTH')) });
      })
      .optional(),
  })
  .strict();

const targetSchema = z.discriminatedUnion('kind', [localTargetSchema, kubernetesTargetSchema]);

const httpCheckSchema = z
  .object({
    /** Relative to the version under analysis (local target, or a Kubernetes target with `url`). */
    path: text(PATH_MAX).startsWith('/').optional(),
    url: z.url().max(URL_MAX, `must be at most ${URL_MAX} characters`).optional(),
    expectStatus: z.number().int().min(100).max(599).default(200),
    maxLatencyMs: z.number().positive('must be positive').default(1000),
    headersEnv: headersEnvSchema.optional(),
  })
  .strict()
  .refine((check) => (check.path === undefined) !== (check.url === undefined), 'needs exactly one of path and url');

/** PromQL returning one number; {version}, {environment} and {service} are filled in (check-placeholders.ts). */
const promQuery = text(COMMAND_MAX).min(1, 'must not be empty');

/** How Ferry judges a version: in canary steps, before a blue-green switch, and while it stabilizes. */
const analysisSchema = z
  .object({
    maxErrorRate: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.01),
    maxP95LatencyMs: z.number().positive('must be positive').optional(),
    /** The traffic judged: the last `window`, or less when the version's share changed since. */
    window: positiveDuration.prefault('1m'),
    /** Analysis waits (up to `maxWait`) until the version has served this many requests. */
    minRequests: z.number().int().min(0).default(0),
    maxWait: duration.prefault('2m'),
    http: list(httpCheckSchema, 20, 'checks').default([]),
    prometheus: z
      .object({
        url: z.url().max(URL_MAX, `must be at most ${URL_MAX} characters`),
        errorRate: promQuery.optional(),
        p95LatencyMs: promQuery.optional(),
        headersEnv: headersEnvSchema.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((analysis, ctx) => {
    const refuse = (path: PropertyKey[], what: string | undefined, instead: string, variable: string) => {
      if (what) ctx.addIssue({ code: 'custom', path, message: credentialsProblem(what, headerAdvice(instead, variable)) });
    };
    const prometheusUrl = analysis.prometheus?.url;
    if (typeof prometheusUrl === 'string') {
      refuse(['prometheus', 'url'], credentialsInUrl(prometheusUrl), 'analysis.prometheus.headersEnv', 'PROMETHEUS_AUTH');
    }
    if (!Array.isArray(analysis.http)) return;
    analysis.http.forEach((check, i) => {
      const instead = `analysis.http[${i}].headersEnv`;
      if (typeof check?.url === 'string') refuse(['http', i, 'url'], credentialsInUrl(check.url), instead, 'HEALTH_AUTH');
      if (typeof check?.path === 'string') refuse(['http', i, 'path'], credentialsInPath(check.path), instead, 'HEALTH_AUTH');
    });
  }, evenWithOtherProblems);

// Not `.int()`: it would stop the checks of the whole list at the first fraction.
const weightStep = z.number().min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100').refine(Number.isInteger, 'must be a whole number');

const strategySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rolling') }).strict(),
  z
    .object({
      kind: z.literal('canary'),
      steps: list(weightStep, 100, 'weights')
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
      pause: duration.prefault('1m'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('blue-green'),
      /** How long the old colour is kept after the switch, for an instant switch back. */
      keepPrevious: duration.prefault('10m'),
    })
    .strict(),
]);

const databaseSchema = z
  .object({
    urlEnv: envVarName,
    /** The variable the app finds the database URL in (local target): DATABASE_URL unless named. */
    appEnv: envVarName.optional(),
    migrations: text(PATH_MAX).min(1).default('migrations'),
    undo: z.enum(['down', 'restore']).default('down'),
  })
  .strict();

const approvalSchema = z
  .object({
    required: z.number().int().min(1, 'must be at least 1').default(1),
    /** As long as a name in an approve or reject message may be (common/messages.ts). */
    approvers: list(text(200).regex(/\S/, 'must not be blank'), 100, 'approvers').optional(),
    preventSelfApproval: z.boolean().default(true),
    timeout: positiveDuration.prefault('72h'),
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
    // The gate counts a person once, by the same comparison, so a name listed twice can make the quorum unreachable.
    const first = new Map<string, number>();
    (Array.isArray(approval.approvers) ? approval.approvers : []).forEach((approver, i) => {
      if (typeof approver !== 'string') return;
      const key = sameApprover(approver);
      const earlier = first.get(key);
      if (earlier === undefined) first.set(key, i);
      else {
        ctx.addIssue({
          code: 'custom',
          path: ['approvers', i],
          message: `"${approver}" is already listed as approvers[${earlier}] (approvers are compared without case and surrounding spaces)`,
        });
      }
    });
  }, evenWithOtherProblems);

/** How the approval gate compares people (workflows/approval-gate.ts). */
const sameApprover = (who: string) => who.trim().toLowerCase();

/**
 * Freeze windows that leave no time free: the freeze would never end (and the workflow's
 * `freezeEndsAt` gives up). Asked the way the workflow asks, from a winter and a summer
 * instant, since windows in time zones with and without daylight saving may tile only in one.
 */
const FREEZE_PROBES = [Date.UTC(2026, 0, 14, 12), Date.UTC(2026, 6, 15, 12)];

function neverEnd(windows: FreezeWindow[]): boolean {
  return FREEZE_PROBES.some((at) => {
    try {
      freezeEndsAt(windows, at);
      return false;
    } catch {
      return true;
    }
  });
}

/** A day: a test that runs longer is a soak, which `stabilize` is for. */
export const VERIFY_TIMEOUT_MAX_MS = 86_400_000;

/** A test run against the version just deployed; FERRY_URL is the version's own address. */
const verifySchema = z
  .object({
    name,
    command: requiredCommand,
    timeout: positiveDuration.refine((ms) => ms <= VERIFY_TIMEOUT_MAX_MS, 'must be at most 24h').prefault('10m'),
    /** Also after each canary step below 100%, against the canary alone. */
    afterEachCanaryStep: z.boolean().default(false),
    /** Worker variables the command may see beyond the small allow-list every command gets. */
    passEnv: list(envVarName, 50, 'variables').default([]),
  })
  .strict();

/** A branch name as git takes it (common/release-order-rules.ts). */
const branchName = text(200)
  .refine(branchNameOk, 'must be a branch name (e.g. main or release/2026)')
  .refine((b) => b !== 'HEAD' && !b.startsWith('refs/'), "must be a branch's short name (main, not refs/heads/main or HEAD)");

/**
 * Optional per app: after each environment goes live (and after a rollback), Ferry moves a ref in
 * the repository to the live commit, so `git log env/production` is the deploy history.
 * `{env}` is the environment's name; a name without `refs/` is a branch.
 */
const recordRefSchema = z
  .object({
    ref: text(200)
      .refine((r) => r.includes('{env}'), 'must hold {env}, so each environment moves its own ref')
      .refine((r) => branchNameOk(r.replaceAll('{env}', 'env')), 'must be a ref name such as refs/ferry/{env} or env/{env}')
      .default('refs/ferry/{env}'),
    /** The worker variable holding user:password (or a token) for pushing; the repo's credentials when absent. */
    credentialsEnv: envVarName.optional(),
  })
  .strict();

const environmentSchema = z
  .object({
    name,
    target: targetSchema,
    database: databaseSchema.optional(),
    backup: z.boolean().default(false),
    strategy: strategySchema.default({ kind: 'rolling' }),
    analysis: analysisSchema.prefault({}),
    stabilize: duration.prefault('15m'),
    healthCheckInterval: positiveDuration.prefault('30s'),
    approval: approvalSchema.optional(),
    freezeWindows: list(freezeWindowSchema, 20, 'windows')
      .refine((windows) => !neverEnd(windows), 'never end (together they leave no time free): a promotion would wait forever')
      .default([]),
    /** Runs this environment's side effects on a worker inside its own network. */
    taskQueue: taskQueue.optional(),
    notify: z.object({ webhookEnv: envVarName }).strict().optional(),
    /** Plain settings for the app (they appear in workflow history and status). */
    variables: boundedRecord(text(4_096), 100, 'variables').default({}),
    /** The app's variable → the name of the worker variable holding the secret (read on the worker only). */
    secrets: boundedRecord(envVarName, 50, 'secrets').default({}),
    /** Tests against the deployed version, in order; a failure rolls the environment back. */
    // Optional, not defaulted: plans in older histories have none, and the type says so.
    verify: list(verifySchema, 20, 'commands').superRefine(uniqueNames('verify'), evenWithOtherProblems).optional(),
    /** Branches whose history may enter the environment (checked by ancestry on the worker); any commit when absent. */
    from: list(branchName, 20, 'branches').min(1, 'must list at least one branch (leave it out to allow any commit)').optional(),
    /**
     * The environment a release must have gone live in first: by default the one before this one;
     * `false` for none. Optional, not defaulted: plans in older histories have none.
     */
    after: z.union([name, z.literal(false)], { error: 'must name an earlier environment, or be false for none' }).optional(),
  })
  .strict()
  .superRefine((env, ctx) => {
    for (const issue of appEnvironmentIssues(env)) ctx.addIssue({ code: 'custom', ...issue });
    if (env.database?.undo === 'restore' && !env.backup) {
      ctx.addIssue({ code: 'custom', path: ['database', 'undo'], message: 'is "restore" but backup is off: set backup: true' });
    }
    for (const issue of placeholderIssues(env)) ctx.addIssue({ code: 'custom', ...issue });
    const target = env.target as Partial<TargetConfig> | undefined;
    for (const issue of kubernetesModeIssues(target, env.strategy?.kind)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of verifyIssues(env)) ctx.addIssue({ code: 'custom', ...issue });
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
    repo: text(URL_MAX)
      .min(1, 'must be a local path or a git URL')
      .superRefine((repo, ctx) => {
        const what = credentialsInRepo(repo);
        if (what) ctx.addIssue({ code: 'custom', message: credentialsProblem(what, 'holding user:password (or a token) in repoCredentialsEnv instead') });
      }),
    /**
     * The worker variable holding `user:password` (or a token) for an http(s) repo; the worker
     * sends it as a header, never in a URL.
     */
    repoCredentialsEnv: envVarName.optional(),
    /** How the artifact is named from the commit: {app}, {sha} and {shortSha} are filled in. */
    artifact: text(500).min(1).default('{app}:{shortSha}'),
    build: commandSchema,
    test: commandSchema.optional(),
    /** The task queue of the promotion workflows and of environments without their own. */
    taskQueue: taskQueue.default('ferry'),
    /** Git records what runs where (optional). */
    recordRef: recordRefSchema.optional(),
    environments: list(environmentSchema, 50, 'environments')
      .min(1, 'needs at least one environment')
      .superRefine((envs, ctx) => {
        for (const issue of releaseOrderIssues(envs)) ctx.addIssue({ code: 'custom', ...issue });
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
        // Two environments on one Deployment (or one on a namespace whose manifests another applies)
        // would deploy, and roll back, each other's versions.
        const claimed: { i: number; claim: KubernetesClaim }[] = [];
        envs.forEach((env, i) => {
          const claim = env?.target && kubernetesClaim(env.target);
          if (!claim) return;
          const clash = claimed.find((c) => overlaps(c.claim, claim));
          if (clash) {
            const what = claim.deployment === undefined || clash.claim.deployment === undefined ? claim.namespaceWhat : claim.what;
            ctx.addIssue({
              code: 'custom',
              path: [i, 'target', claim.deployment === undefined ? 'manifests' : 'deployment'],
              message: `${what} is already the target of environments[${clash.i}]`,
            });
          }
          claimed.push({ i, claim });
        });
        // Two environments on one database would migrate it twice and restore one's backup over the other.
        const databases = new Map<string, number>();
        envs.forEach((env, i) => {
          const urlEnv = env?.database?.urlEnv;
          if (typeof urlEnv !== 'string') return;
          const owner = databases.get(urlEnv);
          if (owner === undefined) databases.set(urlEnv, i);
          else {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'database', 'urlEnv'],
              message: `${urlEnv} is already the database of environments[${owner}]: each environment needs its own database`,
            });
          }
        });
      }, evenWithOtherProblems),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (typeof config.repoCredentialsEnv === 'string' && typeof config.repo === 'string' && !/^https?:\/\//i.test(config.repo)) {
      ctx.addIssue({
        code: 'custom',
        path: ['repoCredentialsEnv'],
        message: "is only for an http(s) repo: git over ssh uses the worker's keys, and a local repo needs none",
      });
    }
    if (typeof config.recordRef?.credentialsEnv === 'string' && typeof config.repo === 'string' && !/^https?:\/\//i.test(config.repo)) {
      ctx.addIssue({
        code: 'custom',
        path: ['recordRef', 'credentialsEnv'],
        message: "is only for an http(s) repo: git over ssh pushes with the worker's keys, and a local repo needs none",
      });
    }
  }, evenWithOtherProblems);

export type FerryConfig = z.output<typeof ferryConfigSchema>;
export type FerryConfigInput = z.input<typeof ferryConfigSchema>;
export type EnvironmentConfig = FerryConfig['environments'][number];
export type TargetConfig = EnvironmentConfig['target'];
export type StrategyConfig = EnvironmentConfig['strategy'];
export type AnalysisConfig = z.output<typeof analysisSchema>;
export type ApprovalConfig = NonNullable<EnvironmentConfig['approval']>;
export type DatabaseConfig = NonNullable<EnvironmentConfig['database']>;
export type CommandConfig = FerryConfig['build'];
export type VerifyConfig = NonNullable<EnvironmentConfig['verify']>[number];
