import { parseConfig } from '../../common/parse-config';
import { problemsOf } from '../helpers/config-problems';

/** One environment named dev whose YAML body (target included) is `env`. */
const config = (...envs: string[]) => `
app: shop
repo: /srv/git/shop.git
build:
  command: make build
environments:
${envs.map((env, i) => `  - name: env${i}\n${env}`).join('\n')}
`;
const local = (extra = '') => `    target: { kind: local, start: "node server.js", port: ${18081}${extra} }`;
const k8s = (extra: string) => `    target: { kind: kubernetes, context: c, namespace: shop${extra} }`;

describe('verify commands', () => {
  it('parse with their defaults, in order', () => {
    const env = parseConfig(
      config(`${local()}\n    verify: [{ name: smoke, command: node smoke.js }, { name: e2e, command: npm run e2e, timeout: 5m, afterEachCanaryStep: true, passEnv: [E2E_TOKEN] }]`),
    ).environments[0];
    expect(env.verify).toEqual([
      { name: 'smoke', command: 'node smoke.js', timeout: 600_000, afterEachCanaryStep: false, passEnv: [] },
      { name: 'e2e', command: 'npm run e2e', timeout: 300_000, afterEachCanaryStep: true, passEnv: ['E2E_TOKEN'] },
    ]);
  });

  it('are absent unless configured', () => {
    expect(parseConfig(config(local())).environments[0].verify).toBeUndefined();
  });

  it.each<[string, string, string[]]>([
    ['a verify with no command', '[{ name: smoke }]', ['environments[0].verify[0].command: is required']],
    ['an empty command', '[{ name: smoke, command: "" }]', ['environments[0].verify[0].command: must not be empty']],
    ['a command that is not text', '[{ name: smoke, command: [a] }]', ['environments[0].verify[0].command: must be a command line']],
    ['a zero timeout', '[{ name: smoke, command: x, timeout: 0s }]', ['environments[0].verify[0].timeout: must be longer than 0']],
    ['two with one name', '[{ name: smoke, command: a }, { name: smoke, command: b }]', ['environments[0].verify[1].name: "smoke" is already the name of verify[0]']],
    ['an unknown field', '[{ name: smoke, command: a, url: "http://x" }]', ['environments[0].verify[0]: Unrecognized key: "url"']],
  ])('%s is refused', (_, verify, expected) => {
    expect(problemsOf(config(`${local()}\n    verify: ${verify}`))).toEqual(expected);
  });

  it('at most 20', () => {
    const many = Array.from({ length: 21 }, (_, i) => `{ name: t${i}, command: x }`).join(', ');
    expect(problemsOf(config(`${local()}\n    verify: [${many}]`))).toEqual(['environments[0].verify: must list at most 20 commands']);
  });
});

describe('processes of a local version', () => {
  it('parse beside the web process', () => {
    const target = parseConfig(config(local(', processes: [{ name: worker, start: node worker.js }]'))).environments[0].target;
    expect(target).toMatchObject({ start: 'node server.js', processes: [{ name: 'worker', start: 'node worker.js' }] });
  });

  it.each<[string, string, string[]]>([
    ['one named web (the start command is web)', '[{ name: web, start: x }]', ['environments[0].target.processes[0].name: "web" is reserved']],
    ['two with one name', '[{ name: worker, start: a }, { name: worker, start: b }]', ['environments[0].target.processes[1].name: "worker" is already the name of processes[0]']],
    ['one without a start command', '[{ name: worker }]', ['environments[0].target.processes[0].start: is required']],
    ['one with a port', '[{ name: worker, start: a, port: 9000 }]', ['environments[0].target.processes[0]: Unrecognized key: "port"']],
  ])('%s is refused', (_, processes, expected) => {
    expect(problemsOf(config(local(`, processes: ${processes}`)))).toEqual(expected);
  });

  it('a web process without its start command is refused', () => {
    expect(problemsOf(config('    target: { kind: local, port: 18081 }'))).toEqual(['environments[0].target.start: is required']);
  });
});

describe('a Kubernetes target: image mode or manifests', () => {
  it('parses manifests with variables and secrets', () => {
    const env = parseConfig(config(`${k8s(', manifests: { path: k8s/overlays/dev }')}\n    variables: { LOG_LEVEL: debug }\n    secrets: { API_KEY: SHOP_API_KEY }`)).environments[0];
    expect(env.target).toEqual({ kind: 'kubernetes', context: 'c', namespace: 'shop', manifests: { path: 'k8s/overlays/dev' } });
    expect(env.variables).toEqual({ LOG_LEVEL: 'debug' });
  });

  it('parses a canary on manifests naming the Deployment that takes it', () => {
    const env = parseConfig(config(`${k8s(', deployment: shop-web, service: shop, manifests: { path: k8s/overlays/staging, image: shop }')}\n    strategy: { kind: canary, steps: [50, 100] }`))
      .environments[0];
    expect(env.target).toMatchObject({ deployment: 'shop-web', manifests: { path: 'k8s/overlays/staging', image: 'shop' } });
  });

  it.each<[string, string, string, string[]]>([
    ['neither a Deployment nor manifests', '', '', ['environments[0].target.deployment: is required unless target.manifests names the manifests to apply']],
    ['a manifests path outside the repository', ', manifests: { path: ../elsewhere }', '', ['environments[0].target.manifests.path: must be a path inside the repository (relative, without ..)']],
    ['an absolute manifests path', ', manifests: { path: /etc/k8s }', '', ['environments[0].target.manifests.path: must be a path inside the repository (relative, without ..)']],
    ['a manifests path hidden in the middle', ', manifests: { path: k8s/../../x }', '', ['environments[0].target.manifests.path: must be a path inside the repository (relative, without ..)']],
    ['manifests without a path', ', manifests: {}', '', ['environments[0].target.manifests.path: Invalid input: expected string, received undefined']],
    [
      'a container with manifests',
      ', container: web, manifests: { path: k8s }',
      '',
      ['environments[0].target.container: is for image mode: with manifests, the image is set wherever the manifests name target.manifests.image'],
    ],
    [
      'a canary on manifests without its Deployment',
      ', manifests: { path: k8s }',
      '    strategy: { kind: canary, steps: [100] }',
      ['environments[0].target.deployment: must name the Deployment of the manifests that takes the canary'],
    ],
    [
      'blue-green on manifests',
      ', deployment: shop, service: shop, manifests: { path: k8s }',
      '    strategy: { kind: blue-green }',
      ['environments[0].strategy.kind: blue-green is not available with target.manifests yet: use rolling or canary, or image mode (target.deployment)'],
    ],
  ])('%s is refused', (_, target, rest, expected) => {
    expect(problemsOf(config(`${k8s(target)}\n${rest}`))).toEqual(expected);
  });

  it('a rolling target on manifests needs no Deployment', () => {
    expect(() => parseConfig(config(k8s(', manifests: { path: k8s/overlays/dev }')))).not.toThrow();
  });

  it.each<[string, string, string, string]>([
    [
      'two on the manifests of one namespace',
      ', manifests: { path: a }',
      ', manifests: { path: b }',
      'environments[1].target.manifests: namespace shop of context c is already the target of environments[0]',
    ],
    [
      'a Deployment in a namespace whose manifests another applies',
      ', manifests: { path: a }',
      ', deployment: shop',
      'environments[1].target.deployment: namespace shop of context c is already the target of environments[0]',
    ],
    [
      'manifests over a namespace where another sets a Deployment',
      ', deployment: shop',
      ', manifests: { path: a }',
      'environments[1].target.manifests: namespace shop of context c is already the target of environments[0]',
    ],
  ])('%s is refused', (_, first, second, expected) => {
    expect(problemsOf(config(k8s(first), k8s(second)))).toEqual([expected]);
  });

  it('two Deployments of one namespace in image mode may belong to two environments', () => {
    expect(() => parseConfig(config(k8s(', deployment: a'), k8s(', deployment: b')))).not.toThrow();
  });

  it('the same namespace name in another context is another namespace', () => {
    expect(() => parseConfig(config(k8s(', manifests: { path: a }'), k8s(', manifests: { path: a }').replace('context: c', 'context: d')))).not.toThrow();
  });
});

describe('lists and texts a hostile config gets wrong', () => {
  it.each<[string, string, string[]]>([
    ['verify written as a mapping', `${local()}\n    verify: { smoke: { command: x } }`, ['environments[0].verify: Invalid input: expected array, received object']],
    ['processes written as a mapping', local(', processes: { worker: { start: x } }'), ['environments[0].target.processes: Invalid input: expected array, received object']],
    ['a blank verify command', `${local()}\n    verify: [{ name: smoke, command: "   " }]`, ['environments[0].verify[0].command: must not be blank']],
    ['a verify command of newlines', `${local()}\n    verify: [{ name: smoke, command: "\\n\\n" }]`, ['environments[0].verify[0].command: must not be blank']],
    ['a blank start command', '    target: { kind: local, start: "  ", port: 18081 }', ['environments[0].target.start: must not be blank']],
    ['a blank process command', local(', processes: [{ name: worker, start: "  " }]'), ['environments[0].target.processes[0].start: must not be blank']],
    ['a NUL in a verify command', `${local()}\n    verify: [{ name: smoke, command: "node\\0x" }]`, ['environments[0].verify[0].command: must not hold a NUL character']],
    ['a NUL in a start command', '    target: { kind: local, start: "node\\0x", port: 18081 }', ['environments[0].target.start: must not hold a NUL character']],
    ['a NUL in a variable', `${local()}\n    variables: { A: "x\\0y" }`, ['environments[0].variables.A: must not hold a NUL character']],
  ])('%s is refused, naming the field', (_, env, expected) => {
    expect(problemsOf(config(env))).toEqual(expected);
  });

  it("a mapping for verify is named beside the file's other problems", () => {
    expect(problemsOf(`${config(`${local()}\n    verify: { smoke: { command: x } }`)}bogus: 1\n`)).toEqual([
      'environments[0].verify: Invalid input: expected array, received object',
      'Unrecognized key: "bogus"',
    ]);
  });
});

describe('build and test commands', () => {
  it.each<[string, string, string]>([
    ['a blank build command', 'command: "  "', 'build.command: must not be blank'],
    ['a missing build command', 'timeout: 5m', 'build.command: is required'],
  ])('%s is refused, naming the field', (_, build, expected) => {
    expect(problemsOf(config(local()).replace('command: make build', build))).toEqual([expected]);
  });
});
