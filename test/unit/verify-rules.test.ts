import { parseConfig } from '../../common/parse-config';
import { problemsOf } from '../helpers/config-problems';
import { verifyIssues } from '../../common/verify-rules';

const config = (env: string) => `
app: shop
repo: /srv/git/shop.git
build:
  command: make build
environments:
  - name: staging
${env}
`;
const k8s = (extra = '') => `    target: { kind: kubernetes, context: c, namespace: shop, deployment: shop${extra} }`;
const smoke = (extra = '') => `    verify: [{ name: smoke, command: node smoke.js${extra} }]`;
const canary = '    strategy: { kind: canary, steps: [25, 100] }';
const WITH_SERVICE = ', service: shop, url: "http://{service}.shop:8080"';

describe('verify needs the address of exactly the version under test', () => {
  it('a Kubernetes target without url is refused, naming target.url', () => {
    expect(problemsOf(config(`${k8s()}\n${smoke()}`))).toEqual(['environments[0].target.url: is needed by verify: its commands get the address of the version under test as FERRY_URL']);
  });

  it('a url that reaches the stable version too is refused where verify runs beside it: canary steps, blue-green', () => {
    expect(problemsOf(config(`${k8s(', url: "http://shop.shop:8080"')}\n${canary}\n${smoke(', afterEachCanaryStep: true')}`))).toEqual([
      'environments[0].target.url: has no {service}: verify during a canary step would reach the stable version too. Write the address with {service}: Ferry fills in <service>-canary (the version under test alone)',
      'environments[0].target.service: is needed by verify during a canary step: Ferry makes <service>-canary to reach the version under test alone',
    ]);
    expect(problemsOf(config(`${k8s(', service: shop, url: "http://shop.shop:8080"')}\n    strategy: { kind: blue-green }\n${smoke()}`))).toEqual([
      'environments[0].target.url: has no {service}: verify during a blue-green step would reach the stable version too. Write the address with {service}: Ferry fills in <service>-preview (the version under test alone)',
    ]);
  });

  it('passes with an address that fits: {service} beside the stable, any url after the promote, a local target, no verify', () => {
    const verifyOf = (text: string) => parseConfig(config(text)).environments[0].verify;
    expect(verifyOf(`${k8s(WITH_SERVICE)}\n${canary}\n${smoke(', afterEachCanaryStep: true')}`)).toHaveLength(1);
    expect(verifyOf(`${k8s(', url: "http://shop.shop:8080"')}\n${canary}\n${smoke()}`)).toHaveLength(1);
    expect(verifyOf(`${k8s(', url: "http://shop.shop:8080"')}\n${smoke()}`)).toHaveLength(1);
    expect(verifyOf(`    target: { kind: local, start: "node server.js", port: 18081 }\n${smoke()}`)).toHaveLength(1);
    expect(verifyOf(k8s())).toBeUndefined();
    expect(verifyOf(`${k8s()}\n    verify: []`)).toEqual([]);
  });

  it('judges partly parsed input without throwing', () => {
    expect(verifyIssues({ target: undefined, verify: [{}] })).toEqual([]);
    expect(verifyIssues({ target: null, strategy: null, verify: [null] })).toEqual([]);
    expect(verifyIssues({ target: { kind: 'kubernetes' }, verify: 'x' })).toEqual([]);
    expect(verifyIssues({ target: { kind: 'kubernetes', url: 7 }, verify: [null] })).toEqual([
      { path: ['target', 'url'], message: 'is needed by verify: its commands get the address of the version under test as FERRY_URL' },
    ]);
    expect(verifyIssues({ target: { kind: 'kubernetes', url: 'http://x', service: 's' }, strategy: { kind: 'canary' }, verify: [null, { afterEachCanaryStep: 'yes' }] })).toEqual([]);
  });
});

describe('a verify timeout is bounded', () => {
  const local = '    target: { kind: local, start: node server.js, port: 18082 }';
  it('more than 24h is refused, naming the field', () => {
    expect(problemsOf(config(`${local}\n${smoke(', timeout: 24h1s')}`))).toEqual(['environments[0].verify[0].timeout: must be at most 24h']);
  });
  it('24h itself is taken', () => {
    expect(parseConfig(config(`${local}\n${smoke(', timeout: 24h')}`)).environments[0].verify![0].timeout).toBe(86_400_000);
  });
});
