import { placeholderIssues } from '../../common/placeholder-rules';

const k8s = (extra: Record<string, unknown> = {}) => ({ kind: 'kubernetes', service: 'shop', ...extra });
const byPath = { http: [{ path: '/healthz' }] };

describe('placeholderIssues', () => {
  test('input that is missing or mistyped raises nothing here (the schema reports it) and never throws', () => {
    expect(placeholderIssues({})).toEqual([]);
    expect(placeholderIssues({ target: k8s({ url: 42 }), strategy: { kind: 'canary' }, analysis: { http: [null, 7] as unknown } })).toEqual([]);
    expect(placeholderIssues({ target: k8s({ url: 'http://{service}' }), analysis: { http: 'not a list', prometheus: { errorRate: 3 } } })).toEqual([]);
    expect(placeholderIssues({ target: k8s({ url: 'http://{service}' }) })).toEqual([]);
  });

  test('{service} is known only on a Kubernetes target that names a service', () => {
    const query = { url: 'http://prom', errorRate: 'x{s="{service}"}', p95LatencyMs: 'y{s="{service}"}' };
    const uses = { http: [{ url: 'http://{service}/a' }, { url: 'http://fixed/b' }], prometheus: query };
    const unknown = 'uses {service}, which only a Kubernetes target with a service has';
    expect(placeholderIssues({ target: k8s(), analysis: uses })).toEqual([]);
    const everywhere = [
      { path: ['analysis', 'http', 0, 'url'], message: unknown },
      { path: ['analysis', 'prometheus', 'errorRate'], message: unknown },
      { path: ['analysis', 'prometheus', 'p95LatencyMs'], message: unknown },
    ];
    expect(placeholderIssues({ target: k8s({ service: undefined }), analysis: uses })).toEqual(everywhere);
    expect(placeholderIssues({ target: k8s({ service: 5 }), analysis: uses })).toEqual(everywhere);
    // A local target has no Service, whatever else its config carries.
    expect(placeholderIssues({ target: { kind: 'local', service: 'shop' }, analysis: uses })).toEqual(everywhere);
  });

  test('a target url may use {service} only', () => {
    expect(placeholderIssues({ target: k8s({ url: 'http://{service}/{version}/{environment}/{version}' }) })).toEqual([
      { path: ['target', 'url'], message: 'may use only {service}, not {version}, {environment}' },
    ]);
  });

  test.each([
    ['canary', 'shop-canary'],
    ['blue-green', 'shop-preview'],
  ])('%s checked by path needs an address with {service}', (kind, aimed) => {
    expect(placeholderIssues({ target: k8s({ url: 'http://shop.svc' }), strategy: { kind }, analysis: byPath })).toEqual([
      {
        path: ['target', 'url'],
        message: `has no {service}: during a ${kind} step the checks by path would reach the stable version too. Write the address with {service}: Ferry fills in ${aimed} (the version under analysis alone), and shop after the switch`,
      },
    ]);
  });

  test('without a service both the address and the service are named, the service as <service>', () => {
    expect(placeholderIssues({ target: k8s({ service: undefined, url: 'http://shop.svc' }), strategy: { kind: 'canary' }, analysis: byPath })).toEqual([
      {
        path: ['target', 'url'],
        message:
          'has no {service}: during a canary step the checks by path would reach the stable version too. Write the address with {service}: Ferry fills in <service>-canary (the version under analysis alone), and <service> after the switch',
      },
      { path: ['target', 'service'], message: 'is needed for checks during a canary step: Ferry makes <service>-canary to reach the version under analysis alone' },
    ]);
  });

  test('no mix to fear: rolling, checks by url only, no checks, or another target', () => {
    const plain = k8s({ url: 'http://shop.svc' });
    expect(placeholderIssues({ target: plain, analysis: byPath })).toEqual([]);
    expect(placeholderIssues({ target: plain, strategy: { kind: 'rolling' }, analysis: byPath })).toEqual([]);
    expect(placeholderIssues({ target: plain, strategy: { kind: 'canary' }, analysis: { http: [{ url: 'http://shop.svc/healthz' }] } })).toEqual([]);
    expect(placeholderIssues({ target: plain, strategy: { kind: 'canary' } })).toEqual([]);
    expect(placeholderIssues({ target: { kind: 'local', url: 'http://x' }, strategy: { kind: 'canary' }, analysis: byPath })).toEqual([]);
  });
});
