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
  artifact: string;
  taskQueue: string;
  build: FerryConfig['build'];
  test?: FerryConfig['test'];
  environments: EnvironmentPlan[];
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

  const last = options.to === undefined ? names.length : names.indexOf(options.to) + 1;
  const skip = new Set(options.skip);
  return {
    ...release,
    app: config.app,
    repo: config.repo,
    artifact: artifactName(config.artifact, config.app, release.sha),
    taskQueue: config.taskQueue,
    build: config.build,
    test: config.test,
    environments: config.environments.slice(0, last).map((env) => ({ ...env, skip: skip.has(env.name) })),
  };
}
