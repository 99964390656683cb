import type { EnvironmentConfig, FerryConfig } from './config-schema';
import { InvalidInputError } from './problems';

export interface Release {
  /** The full commit SHA the ref resolved to. */
  sha: string;
  /** What the user asked for (branch, tag or SHA), kept for the record. */
  ref: string;
  /** Who started the promotion; with preventSelfApproval they may not approve it either. */
  requestedBy?: string;
}

export interface PlanOptions {
  /** Stop after this environment. */
  to?: string;
  /** Environments already promoted by an earlier attempt: recorded as skipped. */
  skip?: string[];
}

export type EnvironmentPlan = EnvironmentConfig & { skip: boolean };

/** The whole input of a promotion workflow: resolved config, no secrets, nothing read later. */
export interface PromotionPlan extends Release {
  app: string;
  repo: string;
  /** The worker variable holding the repo's credentials: a name, read by activities only. */
  repoCredentialsEnv?: string;
  artifact: string;
  taskQueue: string;
  build: FerryConfig['build'];
  test?: FerryConfig['test'];
  environments: EnvironmentPlan[];
  /** Git records what runs where: the ref each environment's live commit is pushed to (absent: none). */
  recordRef?: RecordRefPlan;
}

/** `ref` still holds `{env}`; `credentialsEnv` names the worker variable to push with, else the repo's is used. */
export interface RecordRefPlan {
  ref: string;
  credentialsEnv?: string;
}

/**
 * The largest plan Ferry starts a promotion with, as JSON (what the default data converter
 * sends). The plan is the promotion's input: Temporal refuses a payload above 2 MiB (its default
 * blob size limit: "Failed to start Workflow") and logs a warning for every one above 512 KiB;
 * each stage's input repeats its environment's share. Staying at the warning line leaves the
 * hard limit far away; a real pipeline's plan is a few KiB.
 */
export const MAX_PLAN_BYTES = 512 * 1024;

const kib = (bytes: number) => Math.ceil(bytes / 1024);

/** Why `plan` is too large to start a promotion with, or undefined when it fits. */
export function planSizeProblem(plan: PromotionPlan, madeFrom: string): string | undefined {
  const bytes = new TextEncoder().encode(JSON.stringify(plan)).length;
  if (bytes <= MAX_PLAN_BYTES) return undefined;
  return (
    `the promotion made from ${madeFrom} would be ${kib(bytes)} KiB of workflow input; Ferry's limit is ${kib(MAX_PLAN_BYTES)} KiB ` +
    `(Temporal refuses inputs above 2 MiB): fewer or shorter checks, queries or environments, or one config per app`
  );
}

/** A release standing in for any real one, to measure a config's plan before a commit is resolved. */
const ANY_RELEASE: Release = { sha: '0'.repeat(40), ref: '0'.repeat(40), requestedBy: '' };

/** Refuses a config whose promotions would be too large for Temporal, naming `source` (its file). */
export function checkPlanSize(config: FerryConfig, source: string): void {
  const problem = planSizeProblem(assemblePlan(config, ANY_RELEASE, {}), 'this file');
  if (problem) throw new InvalidInputError(source, [problem]);
}

export const shortSha = (sha: string) => sha.slice(0, 7);

export const promotionWorkflowId = (app: string, sha: string) => `ferry-${app}-${shortSha(sha)}`;

export const stageWorkflowId = (promotionId: string, environment: string) => `${promotionId}-${environment}`;

/** Names may hold dashes, so a slash keeps `shop`/`eu-prod` apart from `shop-eu`/`prod`. */
export const lockWorkflowId = (app: string, environment: string) => `ferry-lock/${app}/${environment}`;

export function artifactName(template: string, app: string, sha: string): string {
  return template.replaceAll('{app}', app).replaceAll('{sha}', sha).replaceAll('{shortSha}', shortSha(sha));
}

/** Turns a validated config and a resolved commit into the input of a promotion workflow. */
export function buildPlan(config: FerryConfig, release: Release, options: PlanOptions = {}): PromotionPlan {
  const names = config.environments.map((env) => env.name);
  const problems: string[] = [];
  if (!/^[0-9a-f]{40}$/.test(release.sha)) problems.push(`commit: "${release.sha}" is not a full 40-character SHA`);
  if (options.to !== undefined && !names.includes(options.to)) {
    problems.push(`--to: unknown environment "${options.to}" (environments: ${names.join(', ')})`);
  }
  for (const name of options.skip ?? []) {
    if (!names.includes(name)) problems.push(`skip: unknown environment "${name}"`);
  }
  if (problems.length > 0) throw new InvalidInputError('the promotion request', problems);
  const plan = assemblePlan(config, release, options);
  // The file was measured when it was loaded; this catches what else can make a plan large.
  const tooLarge = planSizeProblem(plan, 'this request');
  if (tooLarge) throw new InvalidInputError('the promotion request', [tooLarge]);
  return plan;
}

function assemblePlan(config: FerryConfig, release: Release, options: PlanOptions): PromotionPlan {
  const names = config.environments.map((env) => env.name);
  const last = options.to === undefined ? names.length : names.indexOf(options.to) + 1;
  const skip = new Set(options.skip);
  return {
    ...release,
    app: config.app,
    repo: config.repo,
    ...(config.repoCredentialsEnv === undefined ? {} : { repoCredentialsEnv: config.repoCredentialsEnv }),
    artifact: artifactName(config.artifact, config.app, release.sha),
    taskQueue: config.taskQueue,
    build: config.build,
    test: config.test,
    environments: config.environments.slice(0, last).map((env) => ({ ...env, skip: skip.has(env.name) })),
    ...(config.recordRef === undefined ? {} : { recordRef: config.recordRef }),
  };
}
