// Health analysis against real systems: HTTP checks against a real HTTP server, the verdict's
// thresholds, and Prometheus (a real one) scraping the local target's real proxy while the shop
// app serves real traffic.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnalysisConfig } from '../../common/config-schema';
import { analyzeVersion } from '../../activities/health/analysis';
import { headersFromEnv } from '../../activities/health/headers';
import { runHttpCheck, type HttpCheck, type HttpCheckResult } from '../../activities/health/http-checks';
import { judge, type Measurements } from '../../activities/health/judge';
import { queryPrometheus } from '../../activities/health/prometheus';
import { fillQuery } from '../../common/check-placeholders';
import { localTarget, stopLocalEnvironment, type LocalTargetConfig } from '../../activities/targets/local/local-target';
import type { Target, VersionSnapshot } from '../../activities/targets/target';
import { FailureType } from '../../common/errors';
import { failureOf } from '../helpers/failures';
import { AUTHORS, removeTempDirs, tempDir } from '../helpers/git-repo';
import { startPrometheus, waitForData, type RunningPrometheus } from '../helpers/prometheus';
import { freePort, shopRepo, startTraffic } from '../helpers/shop';

const HEALTH_KEY = 'open-sesame-7f3a';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('HTTP checks against a real server', () => {
  let server: http.Server;
  let base: string;
  const check = (overrides: Partial<HttpCheck>): HttpCheck => ({ expectStatus: 200, maxLatencyMs: 10_000, ...overrides });

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      if (request.url === '/ok') return void response.writeHead(200).end('ok');
      if (request.url === '/moved') return void response.writeHead(302, { location: '/ok' }).end();
      if (request.url === '/slow') return void setTimeout(() => response.writeHead(200).end('late'), 300);
      if (request.url === '/private') return void response.writeHead(request.headers['x-health-key'] === HEALTH_KEY ? 200 : 401).end();
      response.writeHead(404).end('no such page');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('the expected status, in time, is no problem', async () => {
    const result = await runHttpCheck(check({ url: `${base}/ok` }), undefined);
    expect(result).toEqual({ url: `${base}/ok`, status: 200, latencyMs: expect.any(Number), problem: undefined });
  });

  test('the expected status need not be 200, and redirects are not followed', async () => {
    expect((await runHttpCheck(check({ url: `${base}/nothing`, expectStatus: 404 }), undefined)).problem).toBeUndefined();
    expect(await runHttpCheck(check({ url: `${base}/moved` }), undefined)).toMatchObject({
      status: 302,
      problem: `${base}/moved answered 302, expected 200`,
    });
  });

  test('a wrong status is reported with the url', async () => {
    const result = await runHttpCheck(check({ url: `${base}/nothing` }), undefined);
    expect(result).toMatchObject({ url: `${base}/nothing`, status: 404, problem: `${base}/nothing answered 404, expected 200` });
  });

  test('an answer slower than maxLatencyMs is reported as slow, with the time it took', async () => {
    const result = await runHttpCheck(check({ url: `${base}/slow`, maxLatencyMs: 50 }), undefined);
    expect(result.status).toBe(200);
    expect(result.problem).toMatch(new RegExp(`^${escapeRegExp(`${base}/slow`)} took (\\d+) ms > 50 ms$`));
    expect(Number(/took (\d+) ms/.exec(result.problem!)![1])).toBe(result.latencyMs);
    // Both problems at once, in one line.
    const both = await runHttpCheck(check({ url: `${base}/slow`, maxLatencyMs: 50, expectStatus: 204 }), undefined);
    expect(both.problem).toMatch(new RegExp(`^${escapeRegExp(`${base}/slow`)} answered 200, expected 204, took \\d+ ms > 50 ms$`));
  });

  test('a refused connection is reported as "did not answer"', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/healthz`;
    const result = await runHttpCheck(check({ url: closed }), undefined);
    expect(result.status).toBeUndefined();
    expect(result.problem).toMatch(new RegExp(`^${escapeRegExp(closed)} did not answer: .*ECONNREFUSED`));
  });

  test('a check by path is made against the base url the target gives, and needs one', async () => {
    expect(await runHttpCheck(check({ path: '/ok' }), base)).toMatchObject({ url: `${base}/ok`, status: 200, problem: undefined });
    expect(await runHttpCheck(check({ path: '/nothing' }), `${base}/`)).toMatchObject({ problem: `${base}/nothing answered 404, expected 200` });
    // A base with a path of its own (a gateway's /shop/) keeps it.
    expect(await runHttpCheck(check({ path: '/ok' }), `${base}/shop/`)).toMatchObject({ url: `${base}/shop/ok` });
    expect(await runHttpCheck(check({ path: '/ok' }), undefined)).toEqual({
      url: '/ok',
      latencyMs: 0,
      problem: '/ok: the target has no address to check it at',
    });
  });

  test('analyzeVersion aims each check at the version under analysis: {service}, {version} and {environment} filled in from the target', async () => {
    const seen: string[] = [];
    const recorder = http.createServer((request, response) => {
      seen.push(decodeURIComponent(request.url ?? ''));
      if (request.url?.startsWith('/api/v1/query')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        return void response.end(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [0, '0'] } }));
      }
      response.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const at = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
    // What the Kubernetes target says of a canary: the Service that reaches it alone.
    const canary: Target = { snapshot: async (version: string) => ({ version, service: 'shop-canary', problems: [] }) } as unknown as Target;
    try {
      const verdict = await analyzeVersion({
        target: canary,
        version: 'shop:1.2/x',
        environment: 'staging',
        analysis: {
          maxErrorRate: 0.01,
          window: 60_000,
          minRequests: 0,
          maxWait: 0,
          http: [check({ url: `${at}/{service}/healthz?v={version}&env={environment}` })],
          prometheus: { url: at, errorRate: 'sum(rate(errors{service="{service}",version="{version}",env="{environment}"}[1m]))' },
        },
      });
      expect(verdict.reasons).toEqual([]);
      expect(seen).toContain('/shop-canary/healthz?v=shop:1.2/x&env=staging');
      expect(seen).toContain('/api/v1/query?query=sum(rate(errors{service="shop-canary",version="shop:1.2/x",env="staging"}[1m]))');
    } finally {
      recorder.close();
    }
  });

  describe('headers whose values come from worker variables (headersEnv)', () => {
    const variables = { FERRY_TEST_HEALTH_KEY: HEALTH_KEY, FERRY_TEST_OTHER_SECRET: 'other-s3cret-value' };
    beforeEach(() => Object.assign(process.env, variables));
    afterEach(() => Object.keys(variables).forEach((name) => delete process.env[name]));

    /** A target that only says where its version answers, so analysis is down to the HTTP checks. */
    const at = (baseUrl: string): Target => ({ snapshot: async (version: string) => ({ version, baseUrl, problems: [] }) }) as unknown as Target;
    const judged = (analysis: Partial<AnalysisConfig>) =>
      analyzeVersion({ target: at(base), version: 'shop:v2', environment: 'prod', analysis: { maxErrorRate: 0.01, window: 60_000, minRequests: 0, maxWait: 0, http: [], ...analysis } });

    test('the server refuses a check without the header, and lets it in with the value of the variable it names', async () => {
      expect((await runHttpCheck(check({ url: `${base}/private` }), undefined)).problem).toBe(`${base}/private answered 401, expected 200`);
      const headers = headersFromEnv({ 'X-Health-Key': 'FERRY_TEST_HEALTH_KEY' }, 'analysis.http[0].headersEnv');
      expect(headers).toEqual({ 'X-Health-Key': HEALTH_KEY });
      expect(await runHttpCheck(check({ url: `${base}/private` }), undefined, undefined, headers)).toMatchObject({ status: 200, problem: undefined });
    });

    test('analyzeVersion sends each check its own headers, by url and by path', async () => {
      const verdict = await judged({
        http: [
          check({ url: `${base}/private`, headersEnv: { 'X-Health-Key': 'FERRY_TEST_HEALTH_KEY' } }),
          check({ path: '/private', headersEnv: { 'x-health-key': 'FERRY_TEST_HEALTH_KEY' } }),
          check({ path: '/private' }),
        ],
      });
      expect(verdict.reasons).toEqual([`${base}/private answered 401, expected 200`]);
    });

    test('an unset variable is a non-retryable error naming the variable and the field, before anything is checked', async () => {
      const failure = await failureOf(judged({ http: [check({ url: `${base}/private`, headersEnv: { 'X-Health-Key': 'FERRY_TEST_UNSET_KEY', 'X-Other': 'FERRY_TEST_OTHER_SECRET' } })] }));
      expect(failure.nonRetryable).toBe(true);
      expect(failure.type).toBe(FailureType.InvalidInput);
      expect(failure.message).toBe('FERRY_TEST_UNSET_KEY is not set on this worker (analysis.http[0].headersEnv names it for X-Health-Key)');
      expect(failure.message).not.toContain(variables.FERRY_TEST_OTHER_SECRET);
    });

    test('a value that cannot be a header value is refused without being repeated', async () => {
      process.env.FERRY_TEST_OTHER_SECRET = 'other-s3cret-value\r\nX-Injected: 1';
      const failure = await failureOf(judged({ http: [check({ url: `${base}/private`, headersEnv: { 'X-Health-Key': 'FERRY_TEST_OTHER_SECRET' } })] }));
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toBe(
        'FERRY_TEST_OTHER_SECRET holds a value that cannot be sent as a header (a line break or other control character): analysis.http[0].headersEnv names it for X-Health-Key',
      );
      expect(failure.message).not.toContain('s3cret');
    });
  });

  test('a cancelled analysis stops its checks instead of reporting them', async () => {
    const controller = new AbortController();
    const running = runHttpCheck(check({ url: `${base}/slow` }), undefined, controller.signal);
    controller.abort(new Error('activity cancelled'));
    await expect(running).rejects.toThrow('activity cancelled');
  });
});

describe('judge: each threshold, just within and just beyond', () => {
  const thresholds: AnalysisConfig = { maxErrorRate: 0.05, maxP95LatencyMs: 500, window: 60_000, minRequests: 20, maxWait: 10_000, http: [] };
  const snapshot = (overrides: Partial<VersionSnapshot> = {}): VersionSnapshot => ({
    version: 'shop:v2',
    traffic: { requests: 100, errors: 0, p95LatencyMs: 100, windowMs: 60_000 },
    problems: [],
    ...overrides,
  });
  const verdict = (measured: Partial<Measurements>, analysis: Partial<AnalysisConfig> = {}) =>
    judge({ ...thresholds, ...analysis }, { snapshot: snapshot(), http: [], prometheus: { problems: [] }, ...measured });
  const traffic = (requests: number, errors: number, p95LatencyMs?: number) => snapshot({ traffic: { requests, errors, p95LatencyMs, windowMs: 60_000 } });

  test('a version within every threshold is healthy, with its numbers', () => {
    expect(verdict({})).toEqual({ healthy: true, reasons: [], metrics: { requests: 100, errors: 0, errorRate: 0, p95LatencyMs: 100 } });
  });

  test('error rate: at maxErrorRate is fine, above it is a reason', () => {
    expect(verdict({ snapshot: traffic(100, 5) })).toMatchObject({ healthy: true, metrics: { errorRate: 0.05 } });
    expect(verdict({ snapshot: traffic(100, 6) })).toEqual({
      healthy: false,
      reasons: ['error rate 6% (6 of 100) > 5%'],
      metrics: expect.objectContaining({ errorRate: 0.06, errors: 6 }),
    });
    expect(verdict({ snapshot: traffic(3, 1) }, { minRequests: 0 }).reasons).toEqual(['error rate 33.33% (1 of 3) > 5%']);
    expect(verdict({ snapshot: traffic(100, 0) }, { maxErrorRate: 0 }).healthy).toBe(true);
    expect(verdict({ snapshot: traffic(1000, 1) }, { maxErrorRate: 0 }).reasons).toEqual(['error rate 0.1% (1 of 1000) > 0%']);
  });

  test('p95 latency: at maxP95LatencyMs is fine, above it is a reason; without a limit it is only measured', () => {
    expect(verdict({ snapshot: traffic(100, 0, 500) }).healthy).toBe(true);
    expect(verdict({ snapshot: traffic(100, 0, 501) })).toMatchObject({ healthy: false, reasons: ['p95 latency 501 ms > 500 ms'] });
    expect(verdict({ snapshot: traffic(100, 0, 9_999) }, { maxP95LatencyMs: undefined })).toMatchObject({
      healthy: true,
      metrics: { p95LatencyMs: 9_999 },
    });
    expect(verdict({ snapshot: traffic(100, 0, 12.6) }).metrics.p95LatencyMs).toBe(12.6);
  });

  test('minRequests: exactly enough is fine, one fewer is a reason; no traffic gives no error rate', () => {
    expect(verdict({ snapshot: traffic(20, 0) }).healthy).toBe(true);
    expect(verdict({ snapshot: traffic(19, 0) })).toMatchObject({ healthy: false, reasons: ['only 19 requests reached shop:v2, 20 needed to judge it'] });
    const none = verdict({ snapshot: traffic(0, 0) });
    expect(none.reasons).toEqual(['only 0 requests reached shop:v2, 20 needed to judge it']);
    expect(none.metrics).toEqual({ requests: 0, errors: 0 });
    expect(verdict({ snapshot: traffic(0, 0) }, { minRequests: 0 })).toEqual({ healthy: true, reasons: [], metrics: { requests: 0, errors: 0 } });
  });

  test('replicas (a target without traffic numbers) are recorded, and the problems the target sees are reasons', () => {
    const replicas = snapshot({ traffic: undefined, replicas: { desired: 3, ready: 3, restarts: 2 } });
    expect(verdict({ snapshot: replicas })).toEqual({ healthy: true, reasons: [], metrics: { readyReplicas: 3, desiredReplicas: 3, restarts: 2 } });
    const partly = snapshot({ traffic: undefined, replicas: { desired: 3, ready: 2, restarts: 0 } });
    expect(verdict({ snapshot: partly }).reasons).toEqual(['only 2 of 3 replicas of shop:v2 are ready']);
    const crashing = snapshot({ traffic: undefined, replicas: { desired: 3, ready: 0, restarts: 7 }, problems: ['pod shop-v2-x: CrashLoopBackOff'] });
    expect(verdict({ snapshot: crashing })).toEqual({
      healthy: false,
      reasons: ['pod shop-v2-x: CrashLoopBackOff', 'only 0 of 3 replicas of shop:v2 are ready'],
      metrics: { readyReplicas: 0, desiredReplicas: 3, restarts: 7 },
    });
  });

  test('HTTP checks: their problems are reasons; the latency of each answered check is a metric', () => {
    const http: HttpCheckResult[] = [
      { url: 'http://a/healthz', status: 200, latencyMs: 12 },
      { url: 'http://a/orders', status: 500, latencyMs: 30, problem: 'http://a/orders answered 500, expected 200' },
      { url: 'http://b/healthz', latencyMs: 3, problem: 'http://b/healthz did not answer: ECONNREFUSED' },
    ];
    const result = verdict({ http });
    expect(result.healthy).toBe(false);
    expect(result.reasons).toEqual(['http://a/orders answered 500, expected 200', 'http://b/healthz did not answer: ECONNREFUSED']);
    expect(result.metrics).toMatchObject({ http0LatencyMs: 12, http1LatencyMs: 30 });
    expect(result.metrics).not.toHaveProperty('http2LatencyMs');
  });

  test('Prometheus error rate and p95: at the threshold is fine, above is a reason; its problems are reasons', () => {
    const prometheus = (errorRate?: number, p95LatencyMs?: number, problems: string[] = []) => ({ prometheus: { errorRate, p95LatencyMs, problems } });
    expect(verdict(prometheus(0.05, 500))).toMatchObject({ healthy: true, metrics: { prometheusErrorRate: 0.05, prometheusP95LatencyMs: 500 } });
    expect(verdict(prometheus(0.0501, 500)).reasons).toEqual(['Prometheus error rate 5.01% > 5%']);
    expect(verdict(prometheus(0.05, 500.04)).healthy).toBe(true); // 500.0 ms at the precision it is judged and printed with
    expect(verdict(prometheus(0.05, 500.07)).reasons).toEqual(['Prometheus p95 latency 500.1 ms > 500 ms']);
    expect(verdict(prometheus(0, 9_000), { maxP95LatencyMs: undefined }).healthy).toBe(true);
    const unmeasured = verdict(prometheus(undefined, undefined, ['Prometheus has no data for errorRate of shop:v2']));
    expect(unmeasured).toMatchObject({ healthy: false, reasons: ['Prometheus has no data for errorRate of shop:v2'] });
    expect(unmeasured.metrics).not.toHaveProperty('prometheusErrorRate');
    expect(unmeasured.metrics).not.toHaveProperty('prometheusP95LatencyMs');
  });

  test("every broken threshold is its own reason, the target's problems first", () => {
    const result = judge(thresholds, {
      snapshot: snapshot({ traffic: { requests: 10, errors: 5, p95LatencyMs: 900, windowMs: 60_000 }, problems: ['process exited'] }),
      http: [{ url: 'http://a/healthz', latencyMs: 1, problem: 'http://a/healthz did not answer: ECONNREFUSED' }],
      prometheus: { errorRate: 0.5, p95LatencyMs: 800, problems: [] },
    });
    expect(result.reasons).toEqual([
      'process exited',
      'only 10 requests reached shop:v2, 20 needed to judge it',
      'error rate 50% (5 of 10) > 5%',
      'p95 latency 900 ms > 500 ms',
      'http://a/healthz did not answer: ECONNREFUSED',
      'Prometheus error rate 50% > 5%',
      'Prometheus p95 latency 800 ms > 500 ms',
    ]);
  });
});

describe('fillQuery', () => {
  test('fills {version} and {environment}, escaped for a PromQL string, and leaves label matchers alone', () => {
    expect(fillQuery('x{version="{version}",environment="{environment}"} / y{environment="{environment}"}', { version: 'shop:1', environment: 'prod' })).toBe(
      'x{version="shop:1",environment="prod"} / y{environment="prod"}',
    );
    expect(fillQuery('x{version="{version}"}', { version: 'a"b\\c', environment: 'e' })).toBe('x{version="a\\"b\\\\c"}');
  });
});

describe("Prometheus scraping the local target's proxy under real traffic", () => {
  const { repo, shas } = shopRepo();
  const slowSha = repo.commit('A release that answers in 300 ms', AUTHORS.grace, { 'release.json': '{ "name": "slow", "failRate": 0, "slowMs": 300 }\n' });
  const stateDir = tempDir('environments');
  const version = (sha: string) => `shop:${sha.slice(0, 7)}`;
  const spring = version(shas.spring);
  const broken = version(shas.broken);
  const slow = version(slowSha);

  // Rates over 15 s: enough scrapes (every second) to have data within two, short enough for a test.
  const ERROR_RATE_BARE =
    'sum(rate(ferry_proxy_requests_total{environment="{environment}",version="{version}",code=~"5.."}[15s]))' +
    ' / sum(rate(ferry_proxy_requests_total{environment="{environment}",version="{version}"}[15s]))';
  // A version that never failed has no 5xx series at all: `or vector(0)` makes its error rate 0 rather than no data.
  const ERROR_RATE =
    '(sum(rate(ferry_proxy_requests_total{environment="{environment}",version="{version}",code=~"5.."}[15s])) or vector(0))' +
    ' / sum(rate(ferry_proxy_requests_total{environment="{environment}",version="{version}"}[15s]))';
  const P95_MS = 'histogram_quantile(0.95, sum by (le) (rate(ferry_proxy_request_duration_seconds_bucket{environment="{environment}",version="{version}"}[15s]))) * 1000';

  interface Environment {
    name: string;
    config: LocalTargetConfig;
    target: (sha: string) => ReturnType<typeof localTarget>;
    traffic?: ReturnType<typeof startTraffic>;
  }
  const environments: Environment[] = [];
  let prometheus: RunningPrometheus | undefined;
  let canaryEnv: Environment;
  let slowEnv: Environment;

  async function environment(name: string): Promise<Environment> {
    const config: LocalTargetConfig = {
      kind: 'local',
      start: 'node server.js',
      port: await freePort(),
      metricsPort: await freePort(),
      healthPath: '/healthz',
      startTimeout: 20_000,
    };
    const env: Environment = {
      name,
      config,
      target: (sha) => localTarget(config, { app: 'shop', environment: name, strategy: 'canary', source: { repo: repo.dir, sha }, stateDir }),
    };
    environments.push(env);
    return env;
  }

  const analysis = (overrides: Partial<AnalysisConfig> = {}, prometheusUrl = prometheus!.url): AnalysisConfig => ({
    maxErrorRate: 0.05,
    window: 60_000,
    minRequests: 20,
    maxWait: 30_000,
    http: [{ path: '/healthz', expectStatus: 200, maxLatencyMs: 10_000 }],
    prometheus: { url: prometheusUrl, errorRate: ERROR_RATE, p95LatencyMs: P95_MS },
    ...overrides,
  });

  const analyze = (env: Environment, sha: string, settings: AnalysisConfig) => analyzeVersion({ target: env.target(sha), version: version(sha), environment: env.name, analysis: settings });

  /** Until Prometheus has scraped enough of `version` for both queries to have a value. */
  const scraped = (env: Environment, v: string) => Promise.all([ERROR_RATE, P95_MS].map((q) => waitForData(prometheus!.url, fillQuery(q, { version: v, environment: env.name }))));

  beforeAll(async () => {
    canaryEnv = await environment('canary');
    slowEnv = await environment('slow');
    prometheus = await startPrometheus(environments.map((env) => `127.0.0.1:${env.config.metricsPort}`));
    await Promise.all(
      [
        { env: canaryEnv, canary: shas.broken },
        { env: slowEnv, canary: slowSha },
      ].map(async ({ env, canary }) => {
        await env.target(shas.spring).deploy(spring);
        await env.target(canary).setCanaryWeight(version(canary), 50);
        env.traffic = startTraffic(`http://127.0.0.1:${env.config.port}/`);
      }),
    );
    await Promise.all([scraped(canaryEnv, spring), scraped(canaryEnv, broken), scraped(slowEnv, slow)]);
  });

  afterAll(async () => {
    await Promise.all(environments.flatMap((env) => (env.traffic ? [env.traffic.stop()] : [])));
    await Promise.all(environments.map((env) => stopLocalEnvironment(env.config, { stateDir, app: 'shop', environment: env.name })));
    await prometheus?.stop();
    removeTempDirs();
  });

  test("the proxy's counters reach Prometheus, labelled by environment, version and code", async () => {
    const series = await waitForData(prometheus!.url, `ferry_proxy_requests_total{environment="canary"}`);
    const labels = series.map(({ metric }) => `${metric.version} ${metric.code}`).sort();
    expect(labels).toEqual([`${broken} 500`, `${spring} 200`].sort());
  });

  test("the proxy's latency histogram is a Prometheus histogram: cumulative buckets, +Inf equal to the count", async () => {
    const selector = `environment="slow",version="${slow}"`;
    // One instant query, so every series comes from the same scrape.
    const series = await waitForData(prometheus!.url, `{__name__=~"ferry_proxy_request_duration_seconds_(bucket|count|sum)",${selector}}`);
    const count = series.find((s) => s.metric.__name__.endsWith('_count'))!.value;
    const sum = series.find((s) => s.metric.__name__.endsWith('_sum'))!.value;
    const buckets = series
      .filter((s) => s.metric.__name__.endsWith('_bucket'))
      .map((s) => ({ le: s.metric.le === '+Inf' ? Infinity : Number(s.metric.le), value: s.value }))
      .sort((a, b) => a.le - b.le);
    expect(buckets.map((b) => b.le)).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, Infinity]);
    buckets.forEach((bucket, i) => i > 0 && expect(bucket.value).toBeGreaterThanOrEqual(buckets[i - 1].value));
    expect(buckets.at(-1)!.value).toBe(count);
    expect(count).toBeGreaterThan(0);
    // Every answer of the slow release takes at least 300 ms: none in the buckets up to 0.25 s.
    expect(buckets.filter((b) => b.le <= 0.25).every((b) => b.value === 0)).toBe(true);
    expect(sum / count).toBeGreaterThanOrEqual(0.3);
  });

  test("queryPrometheus: the failing canary's error rate is 1, the stable version's 0", async () => {
    const query = (v: string) => queryPrometheus(prometheus!.url, fillQuery(ERROR_RATE, { version: v, environment: 'canary' }));
    expect(await query(broken)).toBeCloseTo(1, 6);
    expect(await query(spring)).toBe(0);
    expect(await query('shop:never-deployed')).toBeUndefined(); // 0 / nothing: no data, not a number
  });

  test('analyzeVersion: the failing canary is unhealthy by Prometheus too, the stable version healthy', async () => {
    const verdict = await analyze(canaryEnv, shas.broken, analysis());
    expect(verdict.healthy).toBe(false);
    expect(verdict.reasons).toContain('Prometheus error rate 100% > 5%');
    expect(verdict.reasons).toContainEqual(expect.stringMatching(/^error rate 100% \(\d+ of \d+\) > 5%$/));
    expect(verdict.metrics.prometheusErrorRate).toBeCloseTo(1, 6);
    expect(verdict.metrics.prometheusP95LatencyMs).toBeGreaterThan(0);

    const stable = await analyze(canaryEnv, shas.spring, analysis());
    expect(stable).toMatchObject({ healthy: true, reasons: [] });
    expect(stable.metrics.prometheusErrorRate).toBe(0);
    expect(stable.metrics.prometheusP95LatencyMs).toBeGreaterThan(0);
  });

  test('analyzeVersion: a p95 above maxP95LatencyMs from the Prometheus histogram is a reason', async () => {
    const verdict = await analyze(slowEnv, slowSha, analysis({ maxP95LatencyMs: 200 }));
    expect(verdict.healthy).toBe(false);
    expect(verdict.reasons).toContainEqual(expect.stringMatching(/^Prometheus p95 latency [\d.]+ ms > 200 ms$/));
    // Every answer took at least 300 ms, so all of them are in buckets above 0.25 s.
    expect(verdict.metrics.prometheusP95LatencyMs).toBeGreaterThanOrEqual(250);
    expect(verdict.metrics.prometheusErrorRate).toBe(0);
  });

  test('no data (a version that never failed, without `or vector(0)`) counts only when traffic is required', async () => {
    const bare = (minRequests: number) => analysis({ minRequests, prometheus: { url: prometheus!.url, errorRate: ERROR_RATE_BARE } });
    expect(await queryPrometheus(prometheus!.url, fillQuery(ERROR_RATE_BARE, { version: spring, environment: 'canary' }))).toBeUndefined();
    expect((await analyze(canaryEnv, shas.spring, bare(20))).reasons).toEqual([`Prometheus has no data for errorRate of ${spring}`]);
    expect(await analyze(canaryEnv, shas.spring, bare(0))).toMatchObject({ healthy: true, reasons: [] });
  });

  test('a query returning several series is refused with the advice to wrap it in sum()', async () => {
    const query = 'ferry_proxy_requests_total{environment="{environment}"}';
    await expect(queryPrometheus(prometheus!.url, fillQuery(query, { version: spring, environment: 'canary' }))).rejects.toThrow(
      /^"ferry_proxy_requests_total\{environment="canary"\}" returned 2 series; Ferry needs one number \(wrap it in sum\(\)\)$/,
    );
    const verdict = await analyze(canaryEnv, shas.spring, analysis({ prometheus: { url: prometheus!.url, errorRate: query } }));
    expect(verdict).toMatchObject({ healthy: false, reasons: [expect.stringMatching(/^Prometheus errorRate: .*returned 2 series.*wrap it in sum\(\)/)] });
  });

  test('a query for a range of samples is refused: analysis needs one number now', async () => {
    const query = `sum(ferry_proxy_requests_total{version="${spring}"})[30s:5s]`;
    await expect(queryPrometheus(prometheus!.url, query)).rejects.toThrow(/returns a matrix; Ferry needs one number \(an instant vector or a scalar\)$/);
  });

  test('invalid PromQL is reported as rejected by Prometheus', async () => {
    const query = 'sum(rate(ferry_proxy_requests_total[15s]';
    await expect(queryPrometheus(prometheus!.url, query)).rejects.toThrow(new RegExp(`^Prometheus rejected "${escapeRegExp(query)}": .*parse error`));
    const verdict = await analyze(canaryEnv, shas.spring, analysis({ prometheus: { url: prometheus!.url, p95LatencyMs: query } }));
    expect(verdict).toMatchObject({ healthy: false, reasons: [expect.stringMatching(/^Prometheus p95LatencyMs: Prometheus rejected ".*": .*parse error/)] });
  });

  test('something that is not Prometheus is reported as such', async () => {
    // The proxy's metrics port answers every path with its counters: text, not a query result.
    const notPrometheus = `http://127.0.0.1:${canaryEnv.config.metricsPort}`;
    await expect(queryPrometheus(notPrometheus, 'up')).rejects.toThrow(`Prometheus at ${notPrometheus} answered 200 with something that is not a query result`);
  });

  describe('behind a proxy that requires an Authorization header', () => {
    const TOKEN = 'Bearer prom-s3cret-9c1d';
    let guard: http.Server;
    let guarded: string;

    beforeAll(async () => {
      // A reverse proxy in front of the real Prometheus, as teams put one; it answers 401 without the header.
      guard = http.createServer((request, response) => {
        if (request.headers.authorization !== TOKEN) return void response.writeHead(401, { 'www-authenticate': 'Bearer' }).end('unauthorized\n');
        const upstream = http.request(new URL(request.url!, prometheus!.url), { method: request.method, headers: request.headers }, (answer) => {
          response.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(response);
        });
        request.pipe(upstream);
      });
      await new Promise<void>((resolve) => guard.listen(0, '127.0.0.1', resolve));
      guarded = `http://127.0.0.1:${(guard.address() as AddressInfo).port}`;
      process.env.FERRY_TEST_PROM_AUTH = TOKEN;
    });

    afterAll(async () => {
      delete process.env.FERRY_TEST_PROM_AUTH;
      guard.closeAllConnections();
      await new Promise((resolve) => guard.close(resolve));
    });

    test('queryPrometheus sends the headers it is given; without them the refusal says so', async () => {
      expect(await queryPrometheus(guarded, 'vector(1)', undefined, { Authorization: TOKEN })).toBe(1);
      await expect(queryPrometheus(guarded, 'vector(1)')).rejects.toThrow(`Prometheus at ${guarded} answered 401 (not authorized: see analysis.prometheus.headersEnv)`);
    });

    test('analyzeVersion reads the header from the variable headersEnv names', async () => {
      const behindProxy = (headersEnv?: Record<string, string>) => analysis({ prometheus: { url: guarded, errorRate: ERROR_RATE, headersEnv } });
      const verdict = await analyze(canaryEnv, shas.spring, behindProxy({ Authorization: 'FERRY_TEST_PROM_AUTH' }));
      expect(verdict).toMatchObject({ healthy: true, reasons: [] });
      expect(verdict.metrics.prometheusErrorRate).toBe(0);
      const refused = await analyze(canaryEnv, shas.spring, behindProxy());
      expect(refused.reasons).toEqual([expect.stringMatching(/^Prometheus errorRate: .*answered 401/)]);
      const unset = await failureOf(analyze(canaryEnv, shas.spring, behindProxy({ Authorization: 'FERRY_TEST_PROM_UNSET' })));
      expect(unset).toMatchObject({ nonRetryable: true, message: 'FERRY_TEST_PROM_UNSET is not set on this worker (analysis.prometheus.headersEnv names it for Authorization)' });
    });
  });

  test('Prometheus unreachable is a reason, not a crash', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    await expect(queryPrometheus(nowhere, 'up')).rejects.toThrow(new RegExp(`^Prometheus at ${escapeRegExp(nowhere)} did not answer: .*ECONNREFUSED`));
    const verdict = await analyze(canaryEnv, shas.spring, analysis({}, nowhere));
    expect(verdict.healthy).toBe(false);
    expect(verdict.reasons).toEqual([expect.stringMatching(/^Prometheus errorRate: /), expect.stringMatching(/^Prometheus p95LatencyMs: /)]);
    expect(verdict.metrics).not.toHaveProperty('prometheusErrorRate');
    expect(verdict.metrics).toMatchObject({ errors: 0 }); // the proxy's own numbers are still there
  });
});
