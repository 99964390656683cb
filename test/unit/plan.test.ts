import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../client/load-config';
import { parseConfig } from '../../common/parse-config';
import { artifactName, buildPlan, lockWorkflowId, MAX_PLAN_BYTES, promotionWorkflowId, shortSha, stageWorkflowId, type PlanOptions } from '../../common/plan';
import { InvalidInputError } from '../../common/problems';
import { SAMPLE_CONFIG } from '../helpers/fixtures';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const release = { sha: SHA, ref: 'main', requestedBy: 'ci-bot' };
const config = () => parseConfig(SAMPLE_CONFIG, 'sample');

/** The InvalidInputError a call throws; fails the test if it throws nothing or something else. */
function invalidInput(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, but nothing was thrown');
}

describe('buildPlan', () => {
  it('carries the release, the app and the commands', () => {
    const plan = buildPlan(config(), release);
    expect(plan).toMatchObject({
      sha: SHA,
      ref: 'main',
      requestedBy: 'ci-bot',
      app: 'shop',
      repo: '/srv/git/shop.git',
      taskQueue: 'ferry',
      build: { command: 'make build', timeout: 1_800_000 },
      test: { command: 'make test', timeout: 1_800_000 },
    });
  });

  it('names the artifact from the template in the config', () => {
    expect(buildPlan(config(), release).artifact).toBe('shop:0123456');
  });

  it('fills in {app}, {sha} and {shortSha}, every time they appear', () => {
    const edited = config();
    edited.artifact = 'registry.example.com/{app}/{app}:{sha}-{shortSha}-{shortSha}';
    expect(buildPlan(edited, release).artifact).toBe(`registry.example.com/shop/shop:${SHA}-0123456-0123456`);
  });

  it('uses {app}:{shortSha} when the config names no artifact', () => {
    const withoutArtifact = parseConfig(SAMPLE_CONFIG.replace('artifact: "shop:{shortSha}"\n', ''));
    expect(withoutArtifact.artifact).toBe('{app}:{shortSha}');
    expect(buildPlan(withoutArtifact, release).artifact).toBe('shop:0123456');
  });

  it('without --to, plans every environment in order, none skipped', () => {
    const plan = buildPlan(config(), release);
    expect(plan.environments.map((e) => [e.name, e.skip])).toEqual([
      ['dev', false],
      ['staging', false],
      ['production', false],
    ]);
  });

  it.each<[string, string[]]>([
    ['dev', ['dev']],
    ['staging', ['dev', 'staging']],
    ['production', ['dev', 'staging', 'production']],
  ])('--to %s stops after that environment', (to, names) => {
    expect(buildPlan(config(), release, { to }).environments.map((e) => e.name)).toEqual(names);
  });

  it('marks the environments in skip as skipped and keeps them in the plan', () => {
    const plan = buildPlan(config(), release, { skip: ['dev', 'staging'] });
    expect(plan.environments.map((e) => [e.name, e.skip])).toEqual([
      ['dev', true],
      ['staging', true],
      ['production', false],
    ]);
  });

  it('combines skip and --to', () => {
    const plan = buildPlan(config(), release, { to: 'staging', skip: ['dev'] });
    expect(plan.environments.map((e) => [e.name, e.skip])).toEqual([
      ['dev', true],
      ['staging', false],
    ]);
  });

  it('keeps each environment’s resolved config in the plan', () => {
    const plan = buildPlan(config(), release);
    const production = plan.environments[2];
    expect(production.strategy).toEqual({ kind: 'canary', steps: [25, 100], pause: 600_000 });
    expect(production.analysis.maxErrorRate).toBe(0.01);
    expect(production.approval?.approvers).toEqual(['olivia', 'dana@example.com', 'sam']);
  });

  it('does not write the skip flag into the config it was given', () => {
    const parsed = config();
    buildPlan(parsed, release, { skip: ['dev'] });
    expect(parsed.environments[0]).not.toHaveProperty('skip');
  });

  it('refuses an unknown --to and lists the environments there are', () => {
    const error = invalidInput(() => buildPlan(config(), release, { to: 'prod' }));
    expect(error.source).toBe('the promotion request');
    expect(error.problems).toEqual(['--to: unknown environment "prod" (environments: dev, staging, production)']);
    expect(error.message).toBe('the promotion request is not valid:\n  - --to: unknown environment "prod" (environments: dev, staging, production)');
  });

  it('refuses to skip an unknown environment', () => {
    const error = invalidInput(() => buildPlan(config(), release, { skip: ['qa'] }));
    expect(error.problems).toEqual(['skip: unknown environment "qa"']);
  });

  it.each([
    ['a short SHA', '0123456'],
    ['a branch name', 'main'],
    ['41 characters', `${SHA}8`],
    ['39 characters', SHA.slice(0, 39)],
    ['a non-hex character', `${SHA.slice(0, 39)}g`],
    ['upper case', SHA.toUpperCase()],
    ['an empty string', ''],
  ])('refuses %s as the commit', (_, sha) => {
    const error = invalidInput(() => buildPlan(config(), { ...release, sha }));
    expect(error.problems).toEqual([`commit: "${sha}" is not a full 40-character SHA`]);
  });

  it('reports every problem of a request at once', () => {
    const options: PlanOptions = { to: 'prod', skip: ['qa'] };
    const error = invalidInput(() => buildPlan(config(), { ...release, sha: 'abc' }, options));
    expect(error.problems).toEqual(['commit: "abc" is not a full 40-character SHA', '--to: unknown environment "prod" (environments: dev, staging, production)', 'skip: unknown environment "qa"']);
  });
});

describe('workflow IDs', () => {
  it('shortSha is the first 7 characters', () => {
    expect(shortSha(SHA)).toBe('0123456');
  });

  it('a promotion is named after the app and the short SHA', () => {
    expect(promotionWorkflowId('shop', SHA)).toBe(`ferry-shop-${SHA.slice(0, 7)}`);
    expect(promotionWorkflowId('shop', SHA)).toBe('ferry-shop-0123456');
  });

  it('a stage is named after its promotion and environment', () => {
    expect(stageWorkflowId(promotionWorkflowId('shop', SHA), 'staging')).toBe('ferry-shop-0123456-staging');
  });

  it('a lock is named after the app and environment, not the commit', () => {
    expect(lockWorkflowId('shop', 'production')).toBe('ferry-lock/shop/production');
  });

  it('different apps or environments get different locks', () => {
    expect(lockWorkflowId('shop', 'production')).not.toBe(lockWorkflowId('shop', 'staging'));
    expect(lockWorkflowId('shop', 'production')).not.toBe(lockWorkflowId('blog', 'production'));
  });

  // KNOWN BUG: names may contain dashes and the parts are joined with dashes, so two different
  // (app, environment) pairs can share one lock: app "shop" env "eu-prod" vs app "shop-eu" env "prod".
  // Remove `.failing` once the IDs are unambiguous.
  it('two apps whose names run into each other do not share a lock', () => {
    expect(lockWorkflowId('shop', 'eu-prod')).not.toBe(lockWorkflowId('shop-eu', 'prod'));
  });

  it('artifactName is what buildPlan uses', () => {
    expect(artifactName('{app}:{shortSha}', 'shop', SHA)).toBe('shop:0123456');
    expect(artifactName('{app}@{sha}', 'shop', SHA)).toBe(`shop@${SHA}`);
  });
});

describe('repository credentials by variable name', () => {
  it('the plan carries repoCredentialsEnv, the name and never a value', () => {
    const text = SAMPLE_CONFIG.replace('repo: /srv/git/shop.git', 'repo: https://git.example.com/acme/shop.git\nrepoCredentialsEnv: SHOP_GIT_CREDENTIALS');
    const plan = buildPlan(parseConfig(text), release);
    expect(plan.repo).toBe('https://git.example.com/acme/shop.git');
    expect(plan.repoCredentialsEnv).toBe('SHOP_GIT_CREDENTIALS');
  });
});

describe('a plan too large for Temporal', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  /** A config within every bound of the schema whose plan is still about `environments` × 20 × 1 KiB. */
  function largeConfig(environments: number): string {
    const checks = Array.from({ length: 20 }, (_, i) => `      - { url: "https://shop.example.com/${'p'.repeat(1_000)}/${i}" }`).join('\n');
    const envs = Array.from({ length: environments }, (_, i) => `  - name: env-${i}\n    target: { kind: local, start: "node server.js", port: ${20_000 + i} }\n    analysis:\n      http:\n${checks}`);
    return `app: shop\nrepo: /srv/git/shop.git\nbuild: { command: make }\nenvironments:\n${envs.join('\n')}\n`;
  }

  function writeConfig(text: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-plan-size-'));
    dirs.push(dir);
    const file = path.join(dir, 'ferry.config.yaml');
    fs.writeFileSync(file, text);
    return file;
  }

  it('is refused when the file is loaded, naming the file and the limit', () => {
    const file = writeConfig(largeConfig(40));
    const error = invalidInput(() => loadConfig(file));
    expect(error.source).toBe(file);
    expect(error.problems).toEqual([expect.stringMatching(/^the promotion made from this file would be \d+ KiB of workflow input; Ferry's limit is 512 KiB/)]);
    expect(error.message.startsWith(`${file} is not valid:\n`)).toBe(true);
    expect(MAX_PLAN_BYTES).toBe(512 * 1024);
  });

  it('a config just below the limit loads and plans', () => {
    const config = loadConfig(writeConfig(largeConfig(20)));
    expect(buildPlan(config, release).environments).toHaveLength(20);
  });

  it('buildPlan refuses an oversized plan too, whatever made it large', () => {
    const edited = config();
    edited.environments[0].analysis.http = Array.from({ length: 600 }, () => ({ url: `https://x.example.com/${'a'.repeat(1_000)}`, expectStatus: 200, maxLatencyMs: 1000 }));
    const error = invalidInput(() => buildPlan(edited, release));
    expect(error.source).toBe('the promotion request');
    expect(error.problems).toEqual([expect.stringMatching(/would be \d+ KiB of workflow input; Ferry's limit is 512 KiB/)]);
  });
});
