import { parseConfig } from '../../common/parse-config';
import { buildPlan, type PromotionPlan } from '../../common/plan';
import { secretVariableNames } from '../../common/secret-variables';

// The worker variables whose values a command's output is masked for: every one the plan names
// under a key ending in `Env`, found by that rule so a field added later is not forgotten.

const release = { sha: '0123456789abcdef0123456789abcdef01234567', ref: 'main', requestedBy: 'ci-bot' };

/** Only the shape matters to the rule: plans with fields no schema has yet stand for fields added later. */
const names = (plan: unknown) => secretVariableNames(plan as PromotionPlan);

test('every variable a real config names, each once, sorted; nothing else', () => {
  const config = parseConfig(
    `
app: shop
repo: https://git.example.com/shop.git
repoCredentialsEnv: GIT_CREDENTIALS
artifact: "shop:{shortSha}"
build:
  command: make build
  passEnv: [NPM_TOKEN, CI]
test:
  command: make test
  passEnv: [NPM_TOKEN, TEST_DATABASE_URL]
environments:
  - name: staging
    target: { kind: local, start: "node server.js", port: 18082 }
    database: { urlEnv: STAGING_DATABASE_URL }
    variables: { LOG_LEVEL: debug }
    secrets: { STRIPE_KEY: STAGING_STRIPE_KEY }
    analysis:
      http:
        - path: /healthz
          headersEnv: { Authorization: HEALTH_AUTH, X-Api-Key: HEALTH_KEY }
      prometheus:
        url: https://prometheus.example.com
        errorRate: "sum(rate(errors[1m]))"
        headersEnv: { Authorization: PROMETHEUS_AUTH }
  - name: production
    target: { kind: local, start: "node server.js", port: 18083 }
    database: { urlEnv: PROD_DATABASE_URL }
    notify: { webhookEnv: PRODUCTION_WEBHOOK_URL }
    approval: { required: 1, approvers: [olivia], timeout: 72h }
`,
    'shop.yaml',
  );
  expect(secretVariableNames(buildPlan(config, release))).toEqual([
    'GIT_CREDENTIALS',
    'HEALTH_AUTH',
    'HEALTH_KEY',
    'PRODUCTION_WEBHOOK_URL', // 'U' sorts before '_'
    'PROD_DATABASE_URL',
    'PROMETHEUS_AUTH',
    'STAGING_DATABASE_URL',
    'STAGING_STRIPE_KEY', // the worker variable an app's secret comes from; not the plain LOG_LEVEL value
  ]);
});

test('a plan that names no variable: none', () => {
  expect(names({ app: 'shop', repo: '/srv/git/shop.git', build: { command: 'make', passEnv: [] }, environments: [] })).toEqual([]);
});

test('a string under a key ending in Env, at any depth', () => {
  expect(names({ urlEnv: 'A', deep: { deeper: [{ webhookEnv: 'B' }, { x: { someFutureEnv: 'C' } }] } })).toEqual(['A', 'B', 'C']);
});

test('under such a key, every string of a record (headersEnv) or a list, nested or not', () => {
  expect(names({ headersEnv: { Authorization: 'AUTH', 'X-Key': 'KEY' }, listEnv: ['P1', ['P2'], { p: 'P3' }] })).toEqual(['AUTH', 'KEY', 'P1', 'P2', 'P3']);
});

test('passEnv names what a command may see, not a secret: CI=true must not mask every "true"', () => {
  expect(names({ build: { passEnv: ['CI', 'NPM_TOKEN'] }, database: { urlEnv: 'DB' } })).toEqual(['DB']);
});

test('the header names of a headersEnv (its keys) are not variables', () => {
  expect(names({ headersEnv: { Authorization: 'AUTH' } })).not.toContain('Authorization');
});

test('keys that do not end in Env are ignored, however close', () => {
  expect(
    names({
      env: 'NOT_1',
      ENV: 'NOT_2',
      urlENV: 'NOT_3',
      urlenv: 'NOT_4',
      environment: 'NOT_5',
      Envelope: 'NOT_6',
      urlEnvs: ['NOT_7'],
      name: 'production',
      command: 'echo $SECRET',
      list: ['NOT_8'],
    }),
  ).toEqual([]);
});

test('a key that is just Env counts (the rule is the ending)', () => {
  expect(names({ Env: 'X' })).toEqual(['X']);
});

test('numbers, booleans, null and missing values under such a key name nothing', () => {
  expect(names({ aEnv: 3, bEnv: true, cEnv: null, dEnv: undefined, eEnv: [1, false, null], fEnv: 'F' })).toEqual(['F']);
});

test('a variable named in several places is listed once; the list is sorted by code point', () => {
  expect(names({ build: { listEnv: ['b', 'B', 'A'] }, test: { listEnv: ['B', 'a_2', 'a_10'] }, notify: { webhookEnv: 'A' } })).toEqual(['A', 'B', 'a_10', 'a_2', 'b']);
});

test("an environment's secrets: the worker variables they name, not the app's names for them", () => {
  expect(names({ environments: [{ secrets: { STRIPE_KEY: 'SHOP_STRIPE_KEY' }, variables: { LOG_LEVEL: 'debug' } }] })).toEqual(['SHOP_STRIPE_KEY']);
});
