import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../common/parse-config';
import { formatPath, InvalidInputError } from '../../common/problems';
import { SAMPLE_CONFIG } from '../helpers/fixtures';

/** The InvalidInputError parseConfig throws for `text`; fails the test if it parses. */
function invalid(text: string, source?: string): InvalidInputError {
  try {
    parseConfig(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected the config to be refused, but it parsed');
}

const problemsOf = (text: string) => invalid(text).problems;

/** Judged by error rate alone, over the last minute, with no traffic required. */
const DEFAULT_ANALYSIS = { maxErrorRate: 0.01, window: 60_000, minRequests: 0, maxWait: 120_000, http: [] };

/** A valid config with one environment whose YAML body (indented under `- `) is `env`. */
const withEnvironment = (env: string) => `
app: shop
repo: /srv/git/shop.git
build:
  command: make build
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: 18081 }
${env}`;

describe('SAMPLE_CONFIG', () => {
  const config = parseConfig(SAMPLE_CONFIG);

  it('parses, with the top-level defaults applied', () => {
    expect(config.app).toBe('shop');
    expect(config.repo).toBe('/srv/git/shop.git');
    expect(config.artifact).toBe('shop:{shortSha}');
    expect(config.taskQueue).toBe('ferry');
    expect(config.build).toEqual({ command: 'make build', timeout: 1_800_000, passEnv: [] });
    expect(config.test).toEqual({ command: 'make test', timeout: 1_800_000, passEnv: [] });
    expect(config.environments.map((e) => e.name)).toEqual(['dev', 'staging', 'production']);
  });

  it('dev: explicit stabilize, default interval, rolling strategy, default database settings', () => {
    expect(config.environments[0]).toEqual({
      name: 'dev',
      target: { kind: 'local', start: 'node server.js', port: 18081, healthPath: '/healthz', startTimeout: 30_000 },
      database: { urlEnv: 'DEV_DATABASE_URL', migrations: 'migrations', undo: 'down' },
      backup: false,
      strategy: { kind: 'rolling' },
      analysis: DEFAULT_ANALYSIS,
      stabilize: 120_000,
      healthCheckInterval: 30_000,
      freezeWindows: [],
      variables: {},
      secrets: {},
    });
  });

  it('staging: canary with its own pause and the default analysis', () => {
    const staging = config.environments[1];
    expect(staging.strategy).toEqual({ kind: 'canary', steps: [10, 50, 100], pause: 300_000 });
    expect(staging.analysis).toEqual(DEFAULT_ANALYSIS);
    expect(staging.stabilize).toBe(900_000);
    expect(staging.healthCheckInterval).toBe(30_000);
    expect(staging.approval).toBeUndefined();
  });

  it('production: stabilize defaults to 15m and the approval gets its defaults', () => {
    const production = config.environments[2];
    expect(production.stabilize).toBe(900_000);
    expect(production.healthCheckInterval).toBe(30_000);
    expect(production.backup).toBe(true);
    expect(production.database?.undo).toBe('restore');
    expect(production.target).toEqual({ kind: 'kubernetes', context: 'prod', namespace: 'shop', deployment: 'shop' });
    expect(production.notify).toEqual({ webhookEnv: 'PRODUCTION_WEBHOOK_URL' });
    expect(production.approval).toEqual({
      required: 1,
      approvers: ['olivia', 'dana@example.com', 'sam'],
      preventSelfApproval: true,
      timeout: 259_200_000,
      onTimeout: 'reject',
    });
  });
});

describe('defaults of a minimal environment', () => {
  it('rolling, stabilize 15m, health checks every 30s, no approval', () => {
    const [env] = parseConfig(withEnvironment('')).environments;
    expect(env.strategy).toEqual({ kind: 'rolling' });
    expect(env.stabilize).toBe(900_000);
    expect(env.healthCheckInterval).toBe(30_000);
    expect(env.backup).toBe(false);
    expect(env.approval).toBeUndefined();
    expect(env.database).toBeUndefined();
  });

  it('an empty approval block: one approver, no self-approval, 72h, rejected on timeout', () => {
    const [env] = parseConfig(withEnvironment('    approval: {}')).environments;
    expect(env.approval).toEqual({ required: 1, preventSelfApproval: true, timeout: 259_200_000, onTimeout: 'reject' });
  });

  it('a canary without a pause pauses 1m between steps', () => {
    const [env] = parseConfig(withEnvironment('    strategy: { kind: canary, steps: [50, 100] }')).environments;
    expect(env.strategy).toEqual({ kind: 'canary', steps: [50, 100], pause: 60_000 });
  });

  it('blue-green keeps the previous colour 10m by default', () => {
    const [env] = parseConfig(withEnvironment('    strategy: { kind: blue-green }')).environments;
    expect(env.strategy).toEqual({ kind: 'blue-green', keepPrevious: 600_000 });
  });
});

describe('a bad file', () => {
  const BAD = `
repo: /srv/git/shop.git
colour: blue
build:
  command: make build
  timeout: 15 minutes please
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: 18081 }
    database: { urlEnv: DEV_DATABASE_URL, undo: restore }
  - name: staging
    target: { kind: local, start: "node server.js", port: 18082 }
    strategy: { kind: canary, steps: [10, 50, 30] }
    paused: true
  - name: production
    target: { kind: kubernetes, context: prod, namespace: shop, deployment: shop }
    strategy: { kind: canary, steps: [10, 500, 100] }
    approval: { required: 2, approvers: [olivia] }
  - name: dev
    target: { kind: local, start: "node server.js", port: 18084 }
`;

  it('reports every problem, each with its path, in one error', () => {
    const error = invalid(BAD);
    const expected = [
      'app: Invalid input: expected string, received undefined',
      'Unrecognized key: "colour"',
      'build.timeout: "15 minutes please" is not a duration (examples: 30s, 15m, 1h30m, 3d)',
      'environments[0].database.undo: is "restore" but backup is off: set backup: true',
      'environments[1]: Unrecognized key: "paused"',
      'environments[1].strategy.steps[2]: must be greater than the step before (50)',
      'environments[1].strategy.steps[2]: the last step must be 100',
      'environments[2].strategy.steps[1]: must be between 1 and 100',
      'environments[2].strategy.steps[2]: must be greater than the step before (500)',
      'environments[2].approval.approvers: lists 1 approver(s) but 2 are required',
      'environments[3].name: "dev" is already used by environments[0]',
    ];
    expect([...error.problems].sort()).toEqual([...expected].sort());
  });

  it('names the file and lists the problems one per line in the message', () => {
    const error = invalid(BAD, 'shop/ferry.config.yaml');
    expect(error.name).toBe('InvalidInputError');
    expect(error.source).toBe('shop/ferry.config.yaml');
    expect(error.message).toBe(`shop/ferry.config.yaml is not valid:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
    expect(error.message).toContain('\n  - environments[2].strategy.steps[1]: must be between 1 and 100');
  });

  it('names ferry.config.yaml when no source is given', () => {
    expect(invalid(BAD).message.startsWith('ferry.config.yaml is not valid:\n  - ')).toBe(true);
  });
});

describe('each rule on its own', () => {
  it.each<[string, string, string[]]>([
    [
      'a canary weight above 100',
      '    strategy: { kind: canary, steps: [10, 500, 100] }',
      ['environments[0].strategy.steps[1]: must be between 1 and 100', 'environments[0].strategy.steps[2]: must be greater than the step before (500)'],
    ],
    ['a canary weight of 0', '    strategy: { kind: canary, steps: [0, 100] }', ['environments[0].strategy.steps[0]: must be between 1 and 100']],
    ['canary weights that do not increase', '    strategy: { kind: canary, steps: [10, 10, 100] }', ['environments[0].strategy.steps[1]: must be greater than the step before (10)']],
    ['a last canary step below 100', '    strategy: { kind: canary, steps: [10, 50] }', ['environments[0].strategy.steps[1]: the last step must be 100']],
    ['a fractional canary weight', '    strategy: { kind: canary, steps: [10.5, 100] }', ['environments[0].strategy.steps[0]: must be a whole number']],
    ['undo: restore without backup', '    database: { urlEnv: DEV_DATABASE_URL, undo: restore }', ['environments[0].database.undo: is "restore" but backup is off: set backup: true']],
    ['backup without a database', '    backup: true', ['environments[0].backup: is on but the environment has no database']],
    ['a health check interval longer than stabilize', '    stabilize: 10s', ['environments[0].healthCheckInterval: is longer than stabilize']],
    ['fewer approvers than required', '    approval: { required: 3, approvers: [olivia, sam] }', ['environments[0].approval.approvers: lists 2 approver(s) but 3 are required']],
    ['an unknown environment key', '    colour: blue', ['environments[0]: Unrecognized key: "colour"']],
    ['an HTTP check with neither path nor url', '    analysis: { http: [{ expectStatus: 204 }] }', ['environments[0].analysis.http[0]: needs exactly one of path and url']],
    [
      'an HTTP check by path on a Kubernetes target without a url',
      '    analysis: { http: [{ path: /healthz }] }\n  - name: prod\n    target: { kind: kubernetes, context: c, namespace: shop, deployment: shop }\n    analysis: { http: [{ path: /healthz }] }',
      ['environments[1].analysis.http[0].path: needs target.url: the Kubernetes target has no address of its own'],
    ],
    [
      'two local environments on one port',
      '  - name: staging\n    target: { kind: local, start: "node server.js", port: 19000, metricsPort: 18081 }',
      ['environments[1].target.metricsPort: 18081 is already used by environments[0].target.port'],
    ],
    ['a maximum error rate above 1', '    analysis: { maxErrorRate: 5 }', ['environments[0].analysis.maxErrorRate: must be between 0 and 1']],
    ['an unknown key in a strategy', '    strategy: { kind: rolling, batch: 2 }', ['environments[0].strategy: Unrecognized key: "batch"']],
    ['a bad stabilize duration', '    stabilize: 15 minutes please', ['environments[0].stabilize: "15 minutes please" is not a duration (examples: 30s, 15m, 1h30m, 3d)']],
    ['a bad approval timeout', '    approval: { timeout: never }', ['environments[0].approval.timeout: "never" is not a duration (examples: 30s, 15m, 1h30m, 3d)']],
    ['an unknown onTimeout', '    approval: { onTimeout: escalate }', ['environments[0].approval.onTimeout: Invalid option: expected one of "reject"|"approve"']],
    ['a secret in place of a variable name', '    notify: { webhookEnv: "https://hooks.example.com/x" }', ['environments[0].notify.webhookEnv: must be the name of an environment variable']],
  ])('%s', (_, env, expected) => {
    expect(problemsOf(withEnvironment(env))).toEqual(expected);
  });

  it('a bad target kind', () => {
    const text = withEnvironment('').replace('kind: local, start: "node server.js", port: 18081', 'kind: docker, image: shop');
    expect(problemsOf(text)).toEqual(["environments[0].target.kind: Invalid discriminator value. Expected 'local' | 'kubernetes'"]);
  });

  it('a port below 1024', () => {
    expect(problemsOf(withEnvironment('').replace('port: 18081', 'port: 80'))).toEqual(['environments[0].target.port: must be between 1024 and 65535']);
  });

  it('a name with capitals', () => {
    expect(problemsOf(withEnvironment('').replace('- name: dev', '- name: Dev'))).toEqual(['environments[0].name: must be lowercase letters, digits and dashes (at most 40)']);
  });

  it('a missing app', () => {
    expect(problemsOf(withEnvironment('').replace('app: shop\n', ''))).toEqual(['app: Invalid input: expected string, received undefined']);
  });

  it('an unknown top-level key', () => {
    expect(problemsOf(`${withEnvironment('')}\nowner: team-shop\n`)).toEqual(['Unrecognized key: "owner"']);
  });

  it('no environments', () => {
    const text = withEnvironment('').replace(/environments:[\s\S]*$/, 'environments: []\n');
    expect(problemsOf(text)).toEqual(['environments: needs at least one environment']);
  });

  it('two environments with the same name', () => {
    const text = `${withEnvironment('')}
  - name: staging
    target: { kind: local, start: "node server.js", port: 18082 }
  - name: dev
    target: { kind: local, start: "node server.js", port: 18083 }
`;
    expect(problemsOf(text)).toEqual(['environments[2].name: "dev" is already used by environments[0]']);
  });

  it('an empty file', () => {
    expect(problemsOf('')).toEqual(['Invalid input: expected object, received null']);
  });
});

describe('YAML syntax errors', () => {
  it('report the line of a mis-indented sequence item', () => {
    const text = 'app: shop\nrepo: /r\nbuild: { command: make }\nenvironments:\n  - name: dev\n   target: x\n';
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 6, column \d+: Sequence item without - indicator/);
  });

  it('report the line of a tab used for indentation', () => {
    const problems = problemsOf('app: shop\nrepo: /r\nbuild:\n\tcommand: make\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 4, column \d+: Tabs are not allowed as indentation/);
  });

  it('report the line of a duplicate key', () => {
    const problems = problemsOf('app: shop\nrepo: /r\nrepo: /s\nbuild:\n  command: make\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 3, column \d+: Map keys must be unique/);
  });

  it('come before schema problems: a broken file reports only what is wrong with the YAML', () => {
    const problems = problemsOf('repo: [unclosed\nbuild:\n  command: x\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line \d+, column \d+: Flow sequence/);
  });
});

describe('formatPath', () => {
  it.each<[PropertyKey[], string]>([
    [['environments', 2, 'strategy', 'steps', 1], 'environments[2].strategy.steps[1]'],
    [['app'], 'app'],
    [[0, 'name'], '[0].name'],
    [[], ''],
  ])('%j → %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

// zod skips a refinement next to a non-continuable issue unless told otherwise; the config
// schema tells it to, so a file reports every problem in one go (these cases pin that down).
describe('empty canary steps', () => {
  it('report only that a weight is needed, not a problem at steps[-1]', () => {
    expect(problemsOf(withEnvironment('    strategy: { kind: canary, steps: [] }'))).toEqual(['environments[0].strategy.steps: needs at least one weight']);
  });

  it('still reports that a weight is needed', () => {
    expect(problemsOf(withEnvironment('    strategy: { kind: canary, steps: [] }'))).toContain('environments[0].strategy.steps: needs at least one weight');
  });
});

describe('cross-field checks still run next to type errors', () => {
  it('duplicate names are still reported when another environment has a bad target kind', () => {
    const text = `${withEnvironment('')}
  - name: dev
    target: { kind: local, start: "node server.js", port: 18082 }
  - name: prod
    target: { kind: docker }
`;
    expect(problemsOf(text)).toEqual(expect.arrayContaining(['environments[1].name: "dev" is already used by environments[0]']));
  });

  it('undo: restore without backup is still reported when the same environment has a bad duration', () => {
    const text = withEnvironment('    database: { urlEnv: DEV_DATABASE_URL, undo: restore }\n    stabilize: soon');
    expect(problemsOf(text)).toEqual(expect.arrayContaining(['environments[0].database.undo: is "restore" but backup is off: set backup: true']));
  });

  it('too few approvers are still reported when the approval timeout is bad', () => {
    const text = withEnvironment('    approval: { required: 2, approvers: [olivia], timeout: never }');
    expect(problemsOf(text)).toEqual(expect.arrayContaining(['environments[0].approval.approvers: lists 1 approver(s) but 2 are required']));
  });

  it('canary order and last step are still checked when a weight is fractional', () => {
    const text = withEnvironment('    strategy: { kind: canary, steps: [10.5, 5, 50] }');
    expect(problemsOf(text)).toEqual(
      expect.arrayContaining(['environments[0].strategy.steps[1]: must be greater than the step before (10.5)', 'environments[0].strategy.steps[2]: the last step must be 100']),
    );
  });
});

describe('malformed values where objects or lists belong', () => {
  test.each([
    ['an environment that is null', '  - null\n', 'environments[0]: Invalid input: expected object, received null'],
    ['an approval that is null', '  - name: dev\n    target: { kind: local, start: x, port: 2000 }\n    approval: null\n', 'environments[0].approval: Invalid input: expected object, received null'],
    [
      'canary steps that are a string',
      '  - name: dev\n    target: { kind: local, start: x, port: 2000 }\n    strategy: { kind: canary, steps: abc }\n',
      'environments[0].strategy.steps: Invalid input: expected array, received string',
    ],
  ])('%s is reported with its path, not a crash', (_, environments, problem) => {
    const text = `app: shop\nrepo: .\nbuild: { command: make }\nenvironments:\n${environments}`;
    expect(problemsOf(text)).toContain(problem);
  });
});

/** `withEnvironment` plus a second environment whose YAML body (under `- `) is `env`. */
const withTwoEnvironments = (first: string, second: string) => `${withEnvironment(first)}
  - name: staging
${second}`;

describe('credentials inside URLs are refused, naming the field and never echoing the secret', () => {
  const PASSWORD = 'hunter2-s3cr3t';
  const refused = (text: string) => {
    const error = invalid(text);
    expect(error.message).not.toContain(PASSWORD);
    return error.problems;
  };

  it.each<[string, string, string]>([
    [
      'a password in the Prometheus URL',
      `    analysis: { prometheus: { url: "https://ferry:${PASSWORD}@prometheus.example.com" } }`,
      'environments[0].analysis.prometheus.url: must not hold credentials (it has a password): name a worker variable in analysis.prometheus.headersEnv instead, e.g. { Authorization: PROMETHEUS_AUTH }',
    ],
    [
      'a user name alone in the Prometheus URL',
      '    analysis: { prometheus: { url: "https://ferry@prometheus.example.com" } }',
      'environments[0].analysis.prometheus.url: must not hold credentials (it has a user name): name a worker variable in analysis.prometheus.headersEnv instead, e.g. { Authorization: PROMETHEUS_AUTH }',
    ],
    [
      'a token in the query of an HTTP check URL',
      `    analysis: { http: [{ url: "https://shop.example.com/healthz?Access_Token=${PASSWORD}" }] }`,
      'environments[0].analysis.http[0].url: must not hold credentials (its query has "Access_Token"): name a worker variable in analysis.http[0].headersEnv instead, e.g. { Authorization: HEALTH_AUTH }',
    ],
    [
      'a signature in the query of an HTTP check path',
      `    analysis: { http: [{ path: "/healthz?sig=${PASSWORD}" }] }`,
      'environments[0].analysis.http[0].path: must not hold credentials (its query has "sig"): name a worker variable in analysis.http[0].headersEnv instead, e.g. { Authorization: HEALTH_AUTH }',
    ],
  ])('%s', (_, env, expected) => {
    expect(refused(withEnvironment(env))).toEqual([expected]);
  });

  it('a password in the Kubernetes target url', () => {
    const text = withTwoEnvironments('', `    target: { kind: kubernetes, context: c, namespace: shop, deployment: shop, url: "https://u:${PASSWORD}@shop.example.com" }`);
    expect(refused(text)).toEqual([
      'environments[1].target.url: must not hold credentials (it has a password): name a worker variable in analysis.http[].headersEnv instead, e.g. { Authorization: HEALTH_AUTH }',
    ]);
  });

  it.each([
    ['an https repo with user and password', `https://ferry-bot:${PASSWORD}@git.example.com/acme/shop.git`, 'it has a password'],
    ['an https repo with a user name (a token as the user)', `https://${PASSWORD}@git.example.com/acme/shop.git`, 'it has a user name'],
    ['an ssh repo with a password', `ssh://git:${PASSWORD}@git.example.com/acme/shop.git`, 'it has a password'],
    ['an scp-like repo with a password', `git:${PASSWORD}@git.example.com:acme/shop.git`, 'it has a password'],
    ['an https repo with a private token in its query', `https://git.example.com/acme/shop.git?private_token=${PASSWORD}`, 'its query has "private_token"'],
  ])('%s', (_, repo, what) => {
    const text = withEnvironment('').replace('repo: /srv/git/shop.git', `repo: "${repo}"`);
    expect(refused(text)).toEqual([`repo: must not hold credentials (${what}): name a worker variable holding user:password (or a token) in repoCredentialsEnv instead`]);
  });

  it.each(['git@git.example.com:acme/shop.git', 'ssh://git@git.example.com/acme/shop.git', 'https://git.example.com/acme/shop.git', 'file:///srv/git/shop.git'])(
    'a user name for ssh, or no credentials at all, is fine: %s',
    (repo) => {
      const text = withEnvironment('').replace('repo: /srv/git/shop.git', `repo: "${repo}"`);
      expect(parseConfig(text).repo).toBe(repo);
    },
  );

  it('harmless query parameters are fine', () => {
    const text = withEnvironment('    analysis: { http: [{ url: "https://shop.example.com/healthz?verbose=1&token_count=3" }] }');
    expect(parseConfig(text).environments[0].analysis.http[0].url).toBe('https://shop.example.com/healthz?verbose=1&token_count=3');
  });
});

describe('credentials by variable name', () => {
  it('headersEnv on Prometheus and on an HTTP check, and repoCredentialsEnv, are carried as names', () => {
    const text = withEnvironment(
      '    analysis:\n' +
        '      http: [{ url: "https://shop.example.com/healthz", headersEnv: { X-Health-Key: HEALTH_KEY } }]\n' +
        '      prometheus: { url: "https://prometheus.example.com", headersEnv: { Authorization: PROM_AUTH } }',
    ).replace('repo: /srv/git/shop.git', 'repo: https://git.example.com/acme/shop.git\nrepoCredentialsEnv: SHOP_GIT_CREDENTIALS');
    const config = parseConfig(text);
    expect(config.repoCredentialsEnv).toBe('SHOP_GIT_CREDENTIALS');
    expect(config.environments[0].analysis.prometheus?.headersEnv).toEqual({ Authorization: 'PROM_AUTH' });
    expect(config.environments[0].analysis.http[0].headersEnv).toEqual({ 'X-Health-Key': 'HEALTH_KEY' });
  });

  it.each<[string, string, string[]]>([
    [
      'a header name with a space',
      '    analysis: { prometheus: { url: "https://p.example.com", headersEnv: { "Bad Header": PROM_AUTH } } }',
      ['environments[0].analysis.prometheus.headersEnv: "Bad Header" is not an HTTP header name'],
    ],
    [
      'a value that is not a variable name (a secret pasted in)',
      '    analysis: { prometheus: { url: "https://p.example.com", headersEnv: { Authorization: "Bearer abc" } } }',
      ['environments[0].analysis.prometheus.headersEnv.Authorization: must be the name of an environment variable'],
    ],
    [
      'the same header twice, in different case',
      '    analysis: { http: [{ url: "https://s.example.com/", headersEnv: { Authorization: A, authorization: B } }] }',
      ['environments[0].analysis.http[0].headersEnv: names the header "authorization" twice (header names ignore case)'],
    ],
    [
      'more than 10 headers',
      `    analysis: { prometheus: { url: "https://p.example.com", headersEnv: { ${Array.from({ length: 11 }, (_, i) => `X-H${i}: V${i}`).join(', ')} } } }`,
      ['environments[0].analysis.prometheus.headersEnv: must name at most 10 headers'],
    ],
  ])('%s is refused', (_, env, expected) => {
    expect(problemsOf(withEnvironment(env))).toEqual(expected);
  });

  it('repoCredentialsEnv must be a variable name', () => {
    const text = withEnvironment('').replace('repo: /srv/git/shop.git', 'repo: https://git.example.com/a.git\nrepoCredentialsEnv: "bot:pa55"');
    expect(problemsOf(text)).toEqual(['repoCredentialsEnv: must be the name of an environment variable']);
  });
});

describe('configs that are clearly wrong are refused, each naming its field', () => {
  it.each<[string, string, string[]]>([
    [
      'the same approver twice, in another case and with spaces',
      '    approval: { required: 2, approvers: [olivia, sam, " Olivia "] }',
      ['environments[0].approval.approvers[2]: " Olivia " is already listed as approvers[0] (approvers are compared without case and surrounding spaces)'],
    ],
    [
      'a freeze window on every day, all day',
      '    freezeWindows: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: "00:00", to: "24:00", timezone: UTC }]',
      ['environments[0].freezeWindows: never end (together they leave no time free): a promotion would wait forever'],
    ],
    [
      'freeze windows that together cover the whole week',
      '    freezeWindows:\n' +
        '      - { days: [mon, tue, wed, thu, fri, sat, sun], from: "00:00", to: "12:00", timezone: Europe/Berlin }\n' +
        '      - { days: [mon, tue, wed, thu, fri, sat, sun], from: "12:00", to: "00:00", timezone: Europe/Berlin }',
      ['environments[0].freezeWindows: never end (together they leave no time free): a promotion would wait forever'],
    ],
    ['an approval timeout of 0', '    approval: { timeout: 0s }', ['environments[0].approval.timeout: must be longer than 0']],
    ['a blank per-environment task queue', '    taskQueue: "   "', ['environments[0].taskQueue: must not be blank, nor begin or end with spaces']],
    ['a per-environment task queue with a trailing space', '    taskQueue: "ferry-production "', ['environments[0].taskQueue: must not be blank, nor begin or end with spaces']],
  ])('%s', (_, env, expected) => {
    expect(problemsOf(withEnvironment(env))).toEqual(expected);
  });

  it('freeze windows with a gap are fine', () => {
    const env = '    freezeWindows: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: "00:01", to: "00:00", timezone: UTC }]';
    expect(parseConfig(withEnvironment(env)).environments[0].freezeWindows).toHaveLength(1);
  });

  it.each([
    ['build', 'build:\n  command: make build', 'build:\n  command: make build\n  timeout: 0m'],
    ['test', 'build:\n  command: make build', 'build:\n  command: make build\ntest: { command: make test, timeout: 0s }'],
  ])('a %s timeout of 0', (field, from, to) => {
    expect(problemsOf(withEnvironment('').replace(from, to))).toEqual([`${field}.timeout: must be longer than 0`]);
  });

  it.each(['""', '"  "', '" ferry"'])('a top-level task queue of %s', (queue) => {
    expect(problemsOf(`${withEnvironment('')}\ntaskQueue: ${queue}\n`)).toEqual(['taskQueue: must not be blank, nor begin or end with spaces']);
  });

  it('two environments on the same Kubernetes deployment', () => {
    const k8s = '    target: { kind: kubernetes, context: prod, namespace: shop, deployment: shop }';
    const text = `${withTwoEnvironments('', k8s)}\n  - name: production\n${k8s}\n  - name: eu\n${k8s.replace('context: prod', 'context: eu')}\n`;
    expect(problemsOf(text)).toEqual(['environments[2].target.deployment: deployment shop in namespace shop of context prod is already the target of environments[1]']);
  });

  it('two environments sharing one database variable', () => {
    const text = withTwoEnvironments('    database: { urlEnv: SHOP_DATABASE_URL }', '    target: { kind: local, start: "node server.js", port: 18082 }\n    database: { urlEnv: SHOP_DATABASE_URL }');
    expect(problemsOf(text)).toEqual(['environments[1].database.urlEnv: SHOP_DATABASE_URL is already the database of environments[0]: each environment needs its own database']);
  });
});

describe('checks aim at the version under analysis, not the mix', () => {
  const k8s = (extra: string) => `    target: { kind: kubernetes, context: c, namespace: shop, deployment: shop${extra} }`;
  const env = (target: string, rest: string) => `${target}\n${rest}`;
  /** The one environment, with `body`'s target in place of the local one when it has a target. */
  const config = (body: string) => (body.includes('target:') ? withEnvironment(body).replace(/  - name: dev\n    target: \{ kind: local[^\n]*\n/, '  - name: dev\n') : withEnvironment(body));

  it.each<[string, string, string[]]>([
    [
      'a canary whose checks by path would reach both versions',
      env(k8s(', service: shop, url: "http://shop.shop.svc:8080"'), '    strategy: { kind: canary, steps: [10, 100] }\n    analysis: { http: [{ path: /healthz }] }'),
      [
        'environments[0].target.url: has no {service}: during a canary step the checks by path would reach the stable version too. Write the address with {service}: Ferry fills in shop-canary (the version under analysis alone), and shop after the switch',
      ],
    ],
    [
      'a blue-green target whose checks by path would reach the live colour',
      env(k8s(', service: web, url: "http://web.shop.svc"'), '    strategy: { kind: blue-green }\n    analysis: { http: [{ path: /healthz }] }'),
      [
        'environments[0].target.url: has no {service}: during a blue-green step the checks by path would reach the stable version too. Write the address with {service}: Ferry fills in web-preview (the version under analysis alone), and web after the switch',
      ],
    ],
    [
      'a canary checked by path with no service to make a canary Service from',
      env(k8s(', url: "http://{service}.shop.svc"'), '    strategy: { kind: canary, steps: [10, 100] }\n    analysis: { http: [{ path: /healthz }] }'),
      [
        'environments[0].target.url: uses {service}, which only a Kubernetes target with a service has',
        'environments[0].target.service: is needed for checks during a canary step: Ferry makes <service>-canary to reach the version under analysis alone',
      ],
    ],
    [
      'a target url with a placeholder it cannot know',
      env(k8s(', service: shop, url: "http://{service}.{environment}.svc/{version}"'), ''),
      ['environments[0].target.url: may use only {service}, not {environment}, {version}'],
    ],
    [
      '{service} in a check url and a query of the local target',
      '    analysis:\n      http: [{ url: "http://{service}/healthz" }]\n      prometheus: { url: "http://prom:9090", errorRate: "x{service=\\"{service}\\"}", p95LatencyMs: "y{version=\\"{version}\\"}" }',
      [
        'environments[0].analysis.http[0].url: uses {service}, which only a Kubernetes target with a service has',
        'environments[0].analysis.prometheus.errorRate: uses {service}, which only a Kubernetes target with a service has',
      ],
    ],
  ])('%s', (_, body, expected) => {
    expect(problemsOf(config(body))).toEqual(expected);
  });

  it.each([
    [
      'a canary with {service} in its address',
      env(k8s(', service: shop, url: "http://{service}.shop.svc:8080"'), '    strategy: { kind: canary, steps: [10, 100] }\n    analysis: { http: [{ path: /healthz }] }'),
    ],
    ['a rolling target whose address has none', env(k8s(', service: shop, url: "https://shop.example.com"'), '    analysis: { http: [{ path: /healthz }] }')],
    [
      'a canary judged by absolute urls and queries with {service}',
      env(
        k8s(', service: shop'),
        '    strategy: { kind: canary, steps: [10, 100] }\n    analysis:\n      http: [{ url: "http://{service}.shop.svc/healthz" }]\n      prometheus: { url: "http://prom:9090", errorRate: "x{service=\\"{service}\\"}" }',
      ),
    ],
    [
      'a canary judged by Prometheus alone, without a service',
      env(k8s(''), '    strategy: { kind: canary, steps: [10, 100] }\n    analysis: { prometheus: { url: "http://prom:9090", errorRate: "x{version=\\"{version}\\"}" } }'),
    ],
  ])('%s is fine', (_, body) => {
    expect(parseConfig(config(body)).environments).toHaveLength(1);
  });
});

describe('what an environment hands its app', () => {
  it('variables and secrets default to none; the database URL goes to DATABASE_URL unless named', () => {
    const env = parseConfig(withEnvironment('    database: { urlEnv: SHOP_DB }')).environments[0];
    expect(env.variables).toEqual({});
    expect(env.secrets).toEqual({});
    expect(env.database?.appEnv).toBeUndefined();
  });

  it('parses variables and secrets by worker variable name', () => {
    const env = parseConfig(withEnvironment('    variables: { LOG_LEVEL: debug, FEATURE_CART: "on" }\n    secrets: { STRIPE_KEY: SHOP_DEV_STRIPE_KEY }')).environments[0];
    expect(env.variables).toEqual({ LOG_LEVEL: 'debug', FEATURE_CART: 'on' });
    expect(env.secrets).toEqual({ STRIPE_KEY: 'SHOP_DEV_STRIPE_KEY' });
  });

  it.each<[string, string, string[]]>([
    ['a variable Ferry sets itself', '    variables: { PORT: "80" }', ['environments[0].variables.PORT: PORT is set by Ferry for every version']],
    ['a secret Ferry sets itself', '    secrets: { VERSION: SHOP_VERSION }', ['environments[0].secrets.VERSION: VERSION is set by Ferry for every version']],
    ['a name that is not a variable', '    variables: { "log-level": debug }', ['environments[0].variables.log-level: "log-level" is not the name of an environment variable']],
    [
      'the same variable as a plain one and a secret',
      '    variables: { API_KEY: x }\n    secrets: { API_KEY: SHOP_API_KEY }',
      ['environments[0].secrets.API_KEY: API_KEY is already set by variables.API_KEY'],
    ],
    [
      'a variable where the database URL goes',
      '    database: { urlEnv: SHOP_DB }\n    variables: { DATABASE_URL: "postgres://x" }',
      ['environments[0].variables.DATABASE_URL: DATABASE_URL is already set by the database URL (database.appEnv)'],
    ],
    ['a secret naming no worker variable', '    secrets: { STRIPE_KEY: "not a name" }', ['environments[0].secrets.STRIPE_KEY: must be the name of an environment variable']],
    [
      'variables for a Kubernetes target',
      '    variables: { LOG_LEVEL: debug }',
      ['environments[0].variables: reach a Kubernetes app through its manifests only: set target.manifests (image mode sets nothing but the image)'],
    ],
  ])('%s is refused', (what, body, expected) => {
    const text = what.includes('Kubernetes')
      ? withEnvironment(body).replace(/target: \{ kind: local[^\n]*/, 'target: { kind: kubernetes, context: c, namespace: shop, deployment: shop }')
      : withEnvironment(body);
    expect(problemsOf(text)).toEqual(expected);
  });

  it('at most 100 variables', () => {
    const many = Array.from({ length: 101 }, (_, i) => `V${i}: x`).join(', ');
    expect(problemsOf(withEnvironment(`    variables: { ${many} }`))).toEqual(['environments[0].variables: must have at most 100 variables']);
  });
});

describe('passEnv on build and test', () => {
  it('defaults to none, and carries the names it is given', () => {
    const config = parseConfig(withEnvironment('').replace('command: make build', 'command: make build\n  passEnv: [NPM_TOKEN, DOCKER_HOST]'));
    expect(config.build.passEnv).toEqual(['NPM_TOKEN', 'DOCKER_HOST']);
    expect(parseConfig(SAMPLE_CONFIG).test?.passEnv).toEqual([]);
  });

  it('names variables, at most 50', () => {
    const many = Array.from({ length: 51 }, (_, i) => `V${i}`).join(', ');
    expect(problemsOf(withEnvironment('').replace('command: make build', 'command: make build\n  passEnv: ["a b"]'))).toEqual(['build.passEnv[0]: must be the name of an environment variable']);
    expect(problemsOf(withEnvironment('').replace('command: make build', `command: make build\n  passEnv: [${many}]`))).toEqual(['build.passEnv: must list at most 50 variables']);
  });
});

describe('every string and list is bounded, and the error says the bound', () => {
  const long = (n: number) => 'x'.repeat(n);
  it.each<[string, (text: string) => string, string]>([
    ['the build command', (t) => t.replace('command: make build', `command: ${long(10_001)}`), 'build.command: must be at most 10000 characters'],
    ['the repo', (t) => t.replace('repo: /srv/git/shop.git', `repo: /${long(2_048)}`), 'repo: must be at most 2048 characters'],
    ['the artifact', (t) => `${t}\nartifact: ${long(501)}\n`, 'artifact: must be at most 500 characters'],
    ['an approver', (t) => `${t}    approval: { approvers: [${long(201)}] }\n`, 'environments[0].approval.approvers[0]: must be at most 200 characters'],
    ['a duration', (t) => `${t}    stabilize: ${long(41)}\n`, 'environments[0].stabilize: must be at most 40 characters'],
    [
      'a PromQL query',
      (t) => `${t}    analysis: { prometheus: { url: "http://p:9090", errorRate: ${long(10_001)} } }\n`,
      'environments[0].analysis.prometheus.errorRate: must be at most 10000 characters',
    ],
    [
      'a freeze reason',
      (t) => `${t}    freezeWindows: [{ days: [sat], from: "00:00", to: "08:00", timezone: UTC, reason: ${long(201)} }]\n`,
      'environments[0].freezeWindows[0].reason: must be at most 200 characters',
    ],
    [
      'the approvers',
      (t) => `${t}    approval: { approvers: [${Array.from({ length: 101 }, (_, i) => `p${i}`).join(', ')}] }\n`,
      'environments[0].approval.approvers: must list at most 100 approvers',
    ],
    ['the HTTP checks', (t) => `${t}    analysis: { http: [${Array.from({ length: 21 }, () => '{ path: /healthz }').join(', ')}] }\n`, 'environments[0].analysis.http: must list at most 20 checks'],
    [
      'the freeze windows',
      (t) => `${t}    freezeWindows: [${Array.from({ length: 21 }, () => '{ days: [sat], from: "00:00", to: "01:00", timezone: UTC }').join(', ')}]\n`,
      'environments[0].freezeWindows: must list at most 20 windows',
    ],
  ])('%s', (_, edit, expected) => {
    expect(problemsOf(edit(withEnvironment('')))).toEqual([expected]);
  });

  it('the environments: at most 50', () => {
    const envs = Array.from({ length: 51 }, (_, i) => `  - name: e${i}\n    target: { kind: local, start: x, port: ${20_000 + i} }`).join('\n');
    const text = `app: shop\nrepo: /r\nbuild: { command: make }\nenvironments:\n${envs}\n`;
    expect(problemsOf(text)).toEqual(['environments: must list at most 50 environments']);
  });
});

describe('the configs people copy from', () => {
  const root = path.join(__dirname, '..', '..');
  it('the example shop config parses', () => {
    expect(parseConfig(fs.readFileSync(path.join(root, 'examples', 'shop', 'ferry.config.yaml'), 'utf8')).app).toBe('shop');
  });

  it("the README's configuration example parses", () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const example = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme);
    expect(example).not.toBeNull();
    expect(parseConfig(example![1]).app).toBe('shop');
  });
});
