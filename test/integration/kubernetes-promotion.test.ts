// Whole promotions on Kubernetes: the Ferry worker with every activity real (git, build and test
// commands, PostgreSQL migrations, the Kubernetes target) on Temporal's test server, against the
// control plane `npm test` starts. Dev rolls, staging goes through a canary, production through
// blue-green behind an approval. HTTP checks go through a gateway that routes by each Service's
// EndpointSlices (test/kubernetes/gateway.ts), so what they reached is what the Services selected.
// The worker acts as a ServiceAccount with only the Role the README documents.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { V1Deployment } from '@kubernetes/client-node';
import { abortSignal, approveSignal, stageStatusQuery, statusQuery } from '../../common/messages';
import { parseConfig } from '../../common/parse-config';
import { ledgerQuery, type EnvironmentLedger } from '../../common/ledger';
import { buildPlan, lockWorkflowId } from '../../common/plan';
import type { PromotionStatus } from '../../common/status';
import { AUTHORS, removeTempDirs, tempDir, TestRepo } from '../helpers/git-repo';
import { migrationRows, startTestPostgres, tableExists, type TestPostgres } from '../helpers/postgres';
import { environment, locksSettled, outcome, startPromotion, step, waitingForApproval } from '../helpers/promotions';
import { askAgain } from '../helpers/lock-queries';
import { startFerryWorker, startTimeSkippingServer } from '../helpers/temporal-env';
import { describeOnKubernetes, type TestCluster } from '../kubernetes/cluster';
import { ferryIdentity } from '../kubernetes/ferry-identity';
import { startGateway, type Gateway } from '../kubernetes/gateway';
import { testKustomize } from '../kubernetes/kustomize';
import fs from 'node:fs';
import path from 'node:path';

const INITIAL = 'registry.test/shop:initial';
const RUN = Date.now().toString(36);
const NAMESPACES = { dev: `ferry-dev-${RUN}`, staging: `ferry-staging-${RUN}`, production: `ferry-production-${RUN}` };
const IDENTITY_NAMESPACE = `ferry-system-${RUN}`;
/** Empty namespaces the shop's manifests (examples/shop/k8s) are applied to: Ferry creates everything in them. */
const MANIFEST_NAMESPACES = { dev: `ferry-manifests-dev-${RUN}`, staging: `ferry-manifests-staging-${RUN}` };
const API_TOKEN_ENV = 'FERRY_K8S_IT_API_TOKEN';
const API_TOKEN = 'tok-never-in-history-7c1e9a';
const REPLICAS = { dev: 2, staging: 4, production: 2 };
const DATABASE_ENV = 'FERRY_K8S_IT_DEV_DATABASE_URL';

jest.setTimeout(300_000);

describeOnKubernetes('whole promotions on Kubernetes', (cluster: TestCluster) => {
  const repo = new TestRepo();
  const stateDir = tempDir('environments');
  const savedKubeconfig = process.env.KUBECONFIG;
  let env: TestWorkflowEnvironment;
  let postgres: TestPostgres;
  let gateway: Gateway;
  let databaseUrl: string;

  beforeAll(async () => {
    [env, postgres, gateway] = await Promise.all([startTimeSkippingServer(), startTestPostgres(), startGateway(cluster)]);
    databaseUrl = await postgres.createDatabase();
    process.env[DATABASE_ENV] = databaseUrl;
    await Promise.all([
      createApp(NAMESPACES.dev, REPLICAS.dev),
      // Room for an abort to land while a canary that never becomes Ready is still being waited for.
      createApp(NAMESPACES.staging, REPLICAS.staging, 60),
      createApp(NAMESPACES.production, REPLICAS.production),
    ]);
    await Promise.all(Object.values(MANIFEST_NAMESPACES).map((name) => cluster.core.createNamespace({ body: { metadata: { name } } })));
    // The worker's Kubernetes target reads the default kubeconfig: the restricted identity's.
    process.env.KUBECONFIG = await ferryIdentity(cluster, [...Object.values(NAMESPACES), ...Object.values(MANIFEST_NAMESPACES)], IDENTITY_NAMESPACE);
    const kustomize = testKustomize();
    if (kustomize) process.env.FERRY_KUSTOMIZE = kustomize;
    process.env[API_TOKEN_ENV] = API_TOKEN;
  });

  afterAll(async () => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
    delete process.env.FERRY_KUSTOMIZE;
    delete process.env[API_TOKEN_ENV];
    await Promise.all([...Object.values(NAMESPACES), ...Object.values(MANIFEST_NAMESPACES), IDENTITY_NAMESPACE].map((name) => cluster.core.deleteNamespace({ name }).catch(() => undefined)));
    await Promise.all([env?.teardown(), postgres?.stop(), gateway?.close()]);
    removeTempDirs();
  });

  /** The app as its team set it up before Ferry: a Deployment and a Service, on the initial image. */
  async function createApp(namespace: string, replicas: number, progressDeadlineSeconds = 8): Promise<void> {
    await cluster.core.createNamespace({ body: { metadata: { name: namespace } } });
    const labels = { app: 'shop' };
    await cluster.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'shop', labels },
        spec: {
          replicas,
          // kwok makes healthy pods Ready at once: a rollout that has not finished in seconds never will.
          progressDeadlineSeconds,
          selector: { matchLabels: labels },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'web', image: INITIAL }] } },
        },
      },
    });
    await cluster.core.createNamespacedService({
      namespace,
      body: { metadata: { name: 'shop' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } },
    });
  }

  function pipeline(artifact: string, stagingPause = '1s'): string {
    const target = (env: keyof typeof NAMESPACES) =>
      `{ kind: kubernetes, context: ${cluster.context}, namespace: ${NAMESPACES[env]}, deployment: shop, service: shop, url: "${gateway.url}/${NAMESPACES[env]}/{service}" }`;
    return `
app: shop
repo: ${repo.dir}
artifact: "${artifact}"
build: { command: "test -d migrations" }
test: { command: "true" }
environments:
  - name: dev
    target: ${target('dev')}
    database: { urlEnv: ${DATABASE_ENV}, undo: down }
    stabilize: 3s
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
  - name: staging
    target: ${target('staging')}
    strategy: { kind: canary, steps: [25, 50, 100], pause: ${stagingPause} }
    stabilize: 3s
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }, { path: /orders }] }
  - name: production
    target: ${target('production')}
    strategy: { kind: blue-green }
    stabilize: 3s
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
    approval: { required: 1, approvers: [olivia] }
`;
  }

  /** The shop's own k8s/ overlays: dev rolling, staging through a canary of shop-web, each with its settings and a secret. */
  function manifestsPipeline(): string {
    const target = (env: keyof typeof MANIFEST_NAMESPACES, extra = '') =>
      `{ kind: kubernetes, context: ${cluster.context}, namespace: ${MANIFEST_NAMESPACES[env]}, manifests: { path: k8s/overlays/${env}, image: shop }, service: shop, url: "${gateway.url}/${MANIFEST_NAMESPACES[env]}/{service}"${extra} }`;
    return `
app: shop
repo: ${repo.dir}
artifact: "registry.test/shop:{shortSha}"
build: { command: "true" }
test: { command: "true" }
environments:
  - name: dev
    target: ${target('dev')}
    variables: { LOG_LEVEL: debug }
    secrets: { API_TOKEN: ${API_TOKEN_ENV} }
    stabilize: 2s
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
  - name: staging
    target: ${target('staging', ', deployment: shop-web')}
    variables: { LOG_LEVEL: info }
    secrets: { API_TOKEN: ${API_TOKEN_ENV} }
    strategy: { kind: canary, steps: [25, 50, 100], pause: 1s }
    stabilize: 2s
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
`;
  }

  /** Runs one promotion of `sha` through the named environments on a real worker; `during` acts on it meanwhile. */
  async function promote(
    sha: string,
    {
      artifact = 'registry.test/shop:{shortSha}',
      only,
      stagingPause,
      during,
      yaml,
    }: {
      artifact?: string;
      only?: string[];
      stagingPause?: string;
      during?: (handle: WorkflowHandle) => Promise<void>;
      yaml?: string;
    } = {},
  ): Promise<PromotionStatus> {
    const config = parseConfig(yaml ?? pipeline(artifact, stagingPause), 'kubernetes pipeline');
    if (only) config.environments = config.environments.filter((e) => only.includes(e.name));
    const worker = await startFerryWorker(env, stateDir);
    return worker.runUntil(async () => {
      const handle = await startPromotion(env, buildPlan(config, { sha, ref: 'main', requestedBy: 'ci-bot' }));
      // Queries do not move the test server's clock: `during` sees the pauses in real time.
      await during?.(handle);
      const status = await outcome(handle);
      await locksSettled(env, status);
      // Read while this worker runs: the locks it leaves open end with it (test/helpers/temporal-env.ts).
      for (const e of config.environments) {
        ledgers[e.name] = await askAgain(env, () => env.client.workflow.getHandle(lockWorkflowId(config.app, e.name)).query(ledgerQuery)).catch(() => undefined);
      }
      const handles = [handle, ...status.environments.flatMap((e) => (e.stageWorkflowId ? [env.client.workflow.getHandle(e.stageWorkflowId)] : []))];
      // Payloads are bytes (base64 in the history's JSON): read as text, so a value in one is found.
      const asText = (key: string, value: unknown) =>
        value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value;
      for (const h of handles) {
        const events = (await h.fetchHistory()).events ?? [];
        histories.push(JSON.stringify(events), JSON.stringify(events, asText));
      }
      return status;
    });
  }
  /** Each environment's ledger as the last promotion left it. */
  const ledgers: Record<string, EnvironmentLedger | undefined> = {};
  /** Every event of every promotion and stage this file ran: where a secret value must never appear. */
  const histories: string[] = [];

  async function waitFor(handle: WorkflowHandle, what: string, reached: (status: PromotionStatus) => Promise<boolean> | boolean): Promise<void> {
    const deadline = Date.now() + 180_000;
    let last: PromotionStatus | undefined;
    while (Date.now() < deadline) {
      last = await handle.query(statusQuery).catch(() => undefined);
      if (last && (await reached(last))) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`never reached "${what}"; last status: ${JSON.stringify(last, null, 2)}`);
  }

  const read = (namespace: string, name: string) => cluster.apps.readNamespacedDeployment({ name, namespace });
  const image = (d: V1Deployment) => d.spec?.template.spec?.containers[0].image;
  const missing = (promise: Promise<unknown>) =>
    promise.then(
      () => false,
      (e: { code?: number }) => e.code === 404,
    );
  const selector = async (namespace: string, name: string) => (await cluster.core.readNamespacedService({ name, namespace })).spec?.selector;

  /** Images of the pods that run (not terminating) in a namespace, sorted. */
  async function runningImages(namespace: string): Promise<string[]> {
    const pods = await cluster.core.listNamespacedPod({ namespace });
    return pods.items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.spec?.containers[0].image ?? '')
      .sort();
  }

  /** The Deployments and Services in a namespace, by name: nothing Ferry made may be left over. */
  async function objects(namespace: string): Promise<{ deployments: Record<string, { image?: string; replicas?: number }>; services: string[] }> {
    const deployments = (await cluster.apps.listNamespacedDeployment({ namespace })).items;
    const services = (await cluster.core.listNamespacedService({ namespace })).items;
    return {
      deployments: Object.fromEntries(deployments.map((d) => [d.metadata?.name ?? '?', { image: image(d), replicas: d.spec?.replicas }])),
      services: services.map((s) => s.metadata?.name ?? '?').sort(),
    };
  }

  const hitsOf = (namespace: string, service: string) => gateway.hits.filter((h) => h.namespace === namespace && h.service === service);

  const spring = repo.commit('Open the shop', AUTHORS.ada, {
    'migrations/001_create_orders.up.sql': 'create table orders (id serial primary key, total int not null);',
    'migrations/001_create_orders.down.sql': 'drop table orders;',
    'migrations/002_add_customers.up.sql': 'create table customers (id serial primary key, name text);',
    'migrations/002_add_customers.down.sql': 'drop table customers;',
  });
  const springImage = `registry.test/shop:${spring.slice(0, 7)}`;

  test('a release goes dev (rolling) → staging (canary) → production (blue-green, approved), each version judged at its own Service', async () => {
    const status = await promote(spring, {
      during: async (handle) => {
        await waitFor(handle, 'production waits for approval', waitingForApproval('production'));
        // Waiting for a person: the idle colour is not even up yet, and traffic is still on the initial image.
        expect(await runningImages(NAMESPACES.production)).toEqual([INITIAL, INITIAL]);
        await handle.signal(approveSignal, { environment: 'production', approver: 'olivia', comment: 'canary looked fine' });
      },
    });

    expect(status.state).toBe('succeeded');
    expect(status.environments.map((e) => [e.name, e.state])).toEqual([
      ['dev', 'succeeded'],
      ['staging', 'succeeded'],
      ['production', 'succeeded'],
    ]);
    expect(step(status, 'staging', 'canary')).toMatchObject({ state: 'succeeded', detail: 'promoted through 25 → 50 → 100%' });
    expect(await migrationRows(databaseUrl).then((rows) => rows.map((r) => r.id))).toEqual(['001_create_orders', '002_add_customers']);

    // Dev: the Deployment rolled to the release, recording what it replaced and why.
    const dev = await read(NAMESPACES.dev, 'shop');
    expect(image(dev)).toBe(springImage);
    expect(dev.metadata?.annotations).toMatchObject({ 'ferry.dev/previous-image': INITIAL, 'kubernetes.io/change-cause': `ferry: deploy ${springImage}` });
    expect(dev.status).toMatchObject({ replicas: 2, readyReplicas: 2, updatedReplicas: 2 });
    expect(await runningImages(NAMESPACES.dev)).toEqual([springImage, springImage]);

    // Staging: promoted, and the canary Deployment and Service are gone.
    expect(await objects(NAMESPACES.staging)).toEqual({ deployments: { shop: { image: springImage, replicas: 4 } }, services: ['shop'] });
    expect(await runningImages(NAMESPACES.staging)).toEqual(Array(4).fill(springImage));
    // Its canary checks reached the canary's pods alone, through shop-canary; after the promote, shop.
    const canaryHits = hitsOf(NAMESPACES.staging, 'shop-canary');
    expect(canaryHits.length).toBeGreaterThanOrEqual(4); // two checks at 25% and at 50%; 100% is the promote
    expect(new Set(canaryHits.map((h) => h.version))).toEqual(new Set([springImage]));
    expect(new Set(hitsOf(NAMESPACES.staging, 'shop').map((h) => h.version))).toEqual(new Set([springImage]));

    // Production: green is live behind the Service, blue (the initial image) retired, no preview left.
    expect(await selector(NAMESPACES.production, 'shop')).toEqual({ app: 'shop', 'ferry.dev/colour': 'green' });
    expect(await objects(NAMESPACES.production)).toEqual({
      deployments: { shop: { image: INITIAL, replicas: 0 }, 'shop-green': { image: springImage, replicas: 2 } },
      services: ['shop'],
    });
    expect(await runningImages(NAMESPACES.production)).toEqual([springImage, springImage]);
    const service = await cluster.core.readNamespacedService({ name: 'shop', namespace: NAMESPACES.production });
    expect(service.metadata?.annotations).toMatchObject({ 'ferry.dev/previous-image': INITIAL, 'kubernetes.io/change-cause': `ferry: switch to ${springImage} (green)` });
    // Before the switch the checks went to the preview Service, which reached green alone.
    const previewHits = hitsOf(NAMESPACES.production, 'shop-preview');
    expect(previewHits.length).toBeGreaterThan(0);
    expect(new Set(previewHits.map((h) => h.version))).toEqual(new Set([springImage]));
    expect(new Set(hitsOf(NAMESPACES.production, 'shop').map((h) => h.version))).toEqual(new Set([springImage]));
    expect(gateway.hits.filter((h) => h.status !== 200)).toEqual([]);

    // Each environment's ledger names the image its live Deployment runs, and production's approver.
    const live = (name: string) => ledgers[name]?.releases[0];
    expect(live('dev')).toMatchObject({ sha: spring, artifact: image(dev), kind: 'promotion', by: status.workflowId, requestedBy: 'ci-bot' });
    expect(live('staging')).toMatchObject({ sha: spring, artifact: (await read(NAMESPACES.staging, 'shop')).spec?.template.spec?.containers[0].image });
    expect(live('production')).toMatchObject({ sha: spring, artifact: image(await read(NAMESPACES.production, 'shop-green')), approvedBy: ['olivia'] });
    expect(live('dev')?.migrations).toEqual(['001_create_orders', '002_add_customers']);
  });

  test('a crash-looping release is caught by the progress deadline, rolled back, and its migration undone', async () => {
    const crashing = repo.commit('Add invoices (crashes on start)', AUTHORS.linus, {
      'migrations/003_add_invoices.up.sql': 'create table invoices (id serial primary key);',
      'migrations/003_add_invoices.down.sql': 'drop table invoices;',
    });
    const crashImage = `registry.test/shop-crashloop:${crashing.slice(0, 7)}`;
    const started = Date.now();
    const status = await promote(crashing, { artifact: 'registry.test/shop-crashloop:{shortSha}', only: ['dev'] });
    console.info(`crash loop caught and rolled back on Kubernetes, end to end: ${Date.now() - started} ms`);

    expect(status.state).toBe('failed');
    const dev = environment(status, 'dev');
    expect(dev.state).toBe('rolled-back');
    expect(step(status, 'dev', 'migrate')).toMatchObject({ state: 'succeeded' });
    expect(dev.error).toContain(`rollout of Deployment shop in namespace ${NAMESPACES.dev} (context ${cluster.context}) failed`);
    expect(dev.error).toContain('progressDeadlineSeconds (8s)');
    expect(dev.error).toMatch(/pod shop-[a-z0-9]+-[a-z0-9]+ container web: CrashLoopBackOff: .* \(3 restarts\)/);
    expect(step(status, 'dev', 'rollback')).toMatchObject({ state: 'succeeded' });

    // The database is what spring expects again, and spring runs, ready, with no crashing pod left.
    expect(await migrationRows(databaseUrl).then((rows) => rows.map((r) => r.id))).toEqual(['001_create_orders', '002_add_customers']);
    expect(await tableExists(databaseUrl, 'invoices')).toBe(false);
    const deployment = await read(NAMESPACES.dev, 'shop');
    expect(image(deployment)).toBe(springImage);
    expect(deployment.status).toMatchObject({ replicas: 2, readyReplicas: 2, updatedReplicas: 2 });
    expect(deployment.metadata?.annotations?.['kubernetes.io/change-cause']).toBe(`ferry: roll back ${crashImage} to ${springImage}`);
    expect(await runningImages(NAMESPACES.dev)).toEqual([springImage, springImage]);
    expect(ledgers.dev?.lastAttempt).toMatchObject({ sha: crashing, artifact: crashImage, outcome: 'rolled-back', by: status.workflowId });
  });

  test('an abort during the staging canary takes the canary out and leaves staging on the release before', async () => {
    const summer = repo.commit('Summer release', AUTHORS.grace, { 'release.txt': 'summer\n' });
    const summerImage = `registry.test/shop:${summer.slice(0, 7)}`;
    const status = await promote(summer, {
      only: ['dev', 'staging'],
      // A long pause at 25%: the abort comes while the canary runs beside spring.
      stagingPause: '10m',
      during: async (handle) => {
        await waitFor(handle, 'the staging canary runs at 25%', async (s) => {
          // A running stage keeps its steps in its own workflow until it ends.
          const stageId = environment(s, 'staging').stageWorkflowId;
          const stage =
            stageId &&
            (await env.client.workflow
              .getHandle(stageId)
              .query(stageStatusQuery)
              .catch(() => undefined));
          if (!stage || stage.steps.find((x) => x.name === 'canary')?.state !== 'running') return false;
          const canary = await read(NAMESPACES.staging, 'shop-canary').catch(() => undefined);
          // The canary Service comes last, once the canary's pods are Ready.
          const service = await missing(cluster.core.readNamespacedService({ name: 'shop-canary', namespace: NAMESPACES.staging }));
          return canary !== undefined && image(canary) === summerImage && (canary.status?.readyReplicas ?? 0) === 2 && !service;
        });
        expect(await runningImages(NAMESPACES.staging)).toEqual([...Array(4).fill(springImage), summerImage, summerImage].sort());
        expect(await selector(NAMESPACES.staging, 'shop-canary')).toEqual({ app: 'shop', 'ferry.dev/track': 'canary' });
        await handle.signal(abortSignal, { by: 'sam', reason: 'wrong release train' });
      },
    });

    expect(status.state).toBe('aborted');
    const staging = environment(status, 'staging');
    expect(staging.state).toBe('aborted');
    expect(staging.error).toBe('aborted by sam: wrong release train');
    expect(step(status, 'staging', 'rollback')).toMatchObject({ state: 'succeeded' });
    expect(await missing(read(NAMESPACES.staging, 'shop-canary'))).toBe(true);
    expect(await missing(cluster.core.readNamespacedService({ name: 'shop-canary', namespace: NAMESPACES.staging }))).toBe(true);
    expect(await objects(NAMESPACES.staging)).toEqual({ deployments: { shop: { image: springImage, replicas: 4 } }, services: ['shop'] });
    expect(await runningImages(NAMESPACES.staging)).toEqual(Array(4).fill(springImage));
  });

  test('an abort while a canary is still coming up stops that step first, then undoes it: nothing is left over', async () => {
    const stuck = repo.commit('A release whose pods never become ready', AUTHORS.linus, { 'release.txt': 'stuck\n' });
    const stuckImage = `registry.test/shop-never-ready:${stuck.slice(0, 7)}`;
    let stageId = '';
    const status = await promote(stuck, {
      artifact: 'registry.test/shop-never-ready:{shortSha}',
      only: ['staging'],
      during: async (handle) => {
        await waitFor(handle, 'the canary is being brought up', async (s) => {
          stageId = environment(s, 'staging').stageWorkflowId ?? '';
          const canary = await read(NAMESPACES.staging, 'shop-canary').catch(() => undefined);
          return canary !== undefined && image(canary) === stuckImage && (canary.status?.replicas ?? 0) > 0;
        });
        // setCanaryWeight is waiting for pods that never become Ready (for up to 60 s).
        await handle.signal(abortSignal, { by: 'sam', reason: 'stuck rollout' });
      },
    });

    expect(status.state).toBe('aborted');
    expect(environment(status, 'staging').error).toBe('aborted by sam: stuck rollout');
    // The stage's history: the cancelled step ended (cancelled, not at its deadline) before the rollback was scheduled.
    const events = (await env.client.workflow.getHandle(stageId).fetchHistory()).events ?? [];
    const scheduled = (type: string) => events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
    const bringUp = events[scheduled('setCanaryWeight')];
    const ended = events.findIndex((e) =>
      [e.activityTaskCanceledEventAttributes, e.activityTaskCompletedEventAttributes, e.activityTaskFailedEventAttributes, e.activityTaskTimedOutEventAttributes].some(
        (a) => a && Number(a.scheduledEventId) === Number(bringUp.eventId),
      ),
    );
    expect(events[ended].activityTaskCanceledEventAttributes).toBeTruthy();
    expect(ended).toBeLessThan(scheduled('rollback'));
    expect(await objects(NAMESPACES.staging)).toEqual({ deployments: { shop: { image: springImage, replicas: 4 } }, services: ['shop'] });
    expect(await runningImages(NAMESPACES.staging)).toEqual(Array(4).fill(springImage));
  });

  test("the shop's own manifests go dev (rolling) → staging (canary of shop-web), both Deployments with their settings and a secret that never enters history", async () => {
    const shopK8s = path.resolve(__dirname, '..', '..', 'examples', 'shop', 'k8s');
    const files: Record<string, string> = {};
    for (const entry of fs.readdirSync(shopK8s, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files[path.join('k8s', path.relative(shopK8s, path.join(entry.parentPath, entry.name)))] = fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
    }
    const first = repo.commit('The shop on its own manifests', AUTHORS.ada, files);
    const second = repo.commit('Autumn release', AUTHORS.grace, { 'release.txt': 'autumn\n' });
    const secondImage = `registry.test/shop:${second.slice(0, 7)}`;
    histories.length = 0;

    expect((await promote(first, { yaml: manifestsPipeline() })).state).toBe('succeeded');
    const status = await promote(second, { yaml: manifestsPipeline() });
    expect(status.state).toBe('succeeded');
    expect(step(status, 'staging', 'canary')).toMatchObject({ state: 'succeeded' });

    for (const [name, namespace] of Object.entries(MANIFEST_NAMESPACES)) {
      const replicas = name === 'dev' ? { 'shop-web': 1, 'shop-worker': 1 } : { 'shop-web': 4, 'shop-worker': 2 };
      const deployments = (await cluster.apps.listNamespacedDeployment({ namespace })).items;
      expect(Object.fromEntries(deployments.map((d) => [d.metadata?.name, { image: image(d), replicas: d.spec?.replicas }]))).toEqual({
        'shop-web': { image: secondImage, replicas: replicas['shop-web'] },
        'shop-worker': { image: secondImage, replicas: replicas['shop-worker'] },
      });
      for (const deployment of deployments) {
        expect(deployment.status).toMatchObject({ updatedReplicas: deployment.spec?.replicas, readyReplicas: deployment.spec?.replicas });
        const [configMapRef, secretRef] = deployment.spec?.template.spec?.containers[0].envFrom ?? [];
        const configMap = await cluster.core.readNamespacedConfigMap({ name: configMapRef?.configMapRef?.name ?? '', namespace });
        expect(configMap.data).toMatchObject({ LOG_LEVEL: name === 'dev' ? 'debug' : 'info', VERSION: secondImage, ENVIRONMENT: name });
        const secret = await cluster.core.readNamespacedSecret({ name: secretRef?.secretRef?.name ?? '', namespace });
        expect(Buffer.from(secret.data?.API_TOKEN ?? '', 'base64').toString()).toBe(API_TOKEN);
      }
      // Promote removed the canary; only the shop's Service and Ferry's record remain beside the app.
      expect((await cluster.core.listNamespacedService({ namespace })).items.map((s) => s.metadata?.name)).toEqual(['shop']);
    }
    // The staging canary was judged at shop-canary, which reached the new release alone.
    const canaryHits = hitsOf(MANIFEST_NAMESPACES.staging, 'shop-canary');
    expect(canaryHits.length).toBeGreaterThan(0);
    expect(new Set(canaryHits.map((h) => h.version))).toEqual(new Set([secondImage]));

    // The histories hold the settings and the secret's worker variable name, never its value.
    const text = histories.join('\n');
    expect(text).toContain('LOG_LEVEL');
    expect(text).toContain(API_TOKEN_ENV);
    expect(text).not.toContain(API_TOKEN);
    expect(text).not.toContain(Buffer.from(API_TOKEN).toString('base64'));
  });
});
