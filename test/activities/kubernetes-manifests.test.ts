// Manifests mode against a real API server: rendered releases (two Deployments reading a generated
// ConfigMap and Secret, a Service) applied server-side, every Deployment watched, Ferry's record of
// what it applied kept in the namespace, and rollbacks that put back everything of the revision
// before. The releases here are built in the test, so this file pins the applying half alone;
// rendering from a repository is covered with the real renderer in kubernetes-manifests-e2e.test.ts.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ApiextensionsV1Api, CustomObjectsApi, type V1CustomResourceDefinition, type V1Deployment } from '@kubernetes/client-node';
import { connect, type KubernetesTargetConfig } from '../../activities/targets/kubernetes/client';
import { manifestsTarget } from '../../activities/targets/kubernetes/manifests/mode';
import type { KubernetesObject, RenderedManifests } from '../../activities/targets/kubernetes/manifests/render';
import { createMasker } from '../../activities/secret-masking';
import { describeOnKubernetes, envFromOf, statusOf } from '../kubernetes/cluster';
import { failureOf } from '../helpers/failures';

const V1 = 'registry.k8s.io/pause:3.8';
const V2 = 'registry.k8s.io/pause:3.9';
const V3 = 'registry.k8s.io/pause:3.10';
const CRASHLOOP_SIDECAR = 'registry.k8s.io/ferry-test/crashloop:1';
const SECRET_VALUE = 's3cr3t-api-key-value';

jest.setTimeout(120_000);

interface ReleaseOptions {
  logLevel?: string;
  /** A second container in the worker whose image crash-loops (kwok's stage for "crashloop"). */
  crashingWorker?: boolean;
  /** A Deployment this release adds. */
  extra?: boolean;
  /** The overlay's own configMapGenerator output (hashed name, as kustomize makes it), which shop-web reads. */
  overlayConfigMap?: string;
  /** A label on shop-web that holds the secret's value, made invalid: the API server's refusal quotes it. */
  secretInLabel?: boolean;
  /** ConfigMaps of 900 KB each: they gzip to almost nothing, and unpack to 900 KB each. */
  largeConfigMaps?: number;
  /** Small ConfigMaps, so many that a revision holds more objects than a record keeps. */
  manyConfigMaps?: number;
  /** Objects of custom kinds, as kustomize renders them (with the namespace, whatever their scope). */
  custom?: KubernetesObject[];
}

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'ferry' };
const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 10);

/** What the renderer hands the target: the shop's web and worker reading a hashed ConfigMap and Secret. */
function release(namespace: string, version: string, options: ReleaseOptions = {}): RenderedManifests {
  const variables = { LOG_LEVEL: options.logLevel ?? 'info' };
  const secrets = { API_KEY: Buffer.from(SECRET_VALUE).toString('base64') };
  const configMapName = `shop-settings-${hash(variables)}`;
  const secretName = `shop-secrets-${hash(secrets)}`;
  const overlayConfigMapName = options.overlayConfigMap && `shop-web-files-${hash(options.overlayConfigMap)}`;
  const envFrom = [{ configMapRef: { name: configMapName } }, { secretRef: { name: secretName } }];
  const deployment = (name: string, extraContainers: object[] = []): KubernetesObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name, ...(options.secretInLabel && name === 'shop-web' ? { key: `${SECRET_VALUE}!` } : {}) } },
    spec: {
      replicas: 2,
      progressDeadlineSeconds: 5,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [
            { name: 'app', image: version, envFrom: overlayConfigMapName && name === 'shop-web' ? [{ configMapRef: { name: overlayConfigMapName } }, ...envFrom] : envFrom },
            ...extraContainers,
          ],
        },
      },
    },
  });
  const objects: KubernetesObject[] = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMapName, namespace, labels: MANAGED_BY, annotations: { 'ferry.dev/generated': 'variables' } }, data: variables },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace, labels: MANAGED_BY, annotations: { 'ferry.dev/generated': 'secrets' } }, type: 'Opaque', data: secrets },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop', namespace }, spec: { selector: { app: 'shop-web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    deployment('shop-web'),
    deployment('shop-worker', options.crashingWorker ? [{ name: 'sidecar', image: CRASHLOOP_SIDECAR }] : []),
  ];
  if (options.extra) objects.push(deployment('shop-mailer'));
  for (let i = 0; i < (options.largeConfigMaps ?? 0); i++) objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `shop-large-${i}`, namespace }, data: { v: 'a'.repeat(900_000) } });
  for (let i = 0; i < (options.manyConfigMaps ?? 0); i++) objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `shop-many-${i}`, namespace }, data: { v: String(i) } });
  for (const object of options.custom ?? []) objects.push({ ...object, metadata: { ...object.metadata, namespace } });
  if (overlayConfigMapName) objects.unshift({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: overlayConfigMapName, namespace }, data: { 'banner.txt': options.overlayConfigMap } });
  return { objects, configMapName, secretName, digest: hash(objects.map((o) => (o.kind === 'Secret' ? o.metadata : o))) };
}

/** The worker's masker for the secret the releases carry, as the target gets it. */
const mask = createMasker(new Map([['SHOP_API_KEY', SECRET_VALUE]]));

describeOnKubernetes('Kubernetes target, manifests mode, against a real API server', ({ kubeconfig: KUBECONFIG, context, apps, core, kubeConfig }) => {
  const savedKubeconfig = process.env.KUBECONFIG;
  const namespaces: string[] = [];
  let count = 0;

  beforeAll(() => {
    process.env.KUBECONFIG = KUBECONFIG;
  });

  afterAll(async () => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
    await Promise.all(namespaces.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
  });

  /** A namespace per test, and a target whose renderer hands out the releases the test names. */
  async function setUp(strategy: 'rolling' | 'canary' = 'rolling') {
    const namespace = `ferry-manifests-${Date.now().toString(36)}-${count++}`;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    namespaces.push(namespace);
    const releases = new Map<string, ReleaseOptions>();
    const config: KubernetesTargetConfig = {
      kind: 'kubernetes',
      context,
      namespace,
      service: 'shop',
      manifests: { path: 'k8s/overlays/dev' },
      ...(strategy === 'canary' ? { deployment: 'shop-web' } : {}),
    };
    const renders: string[] = [];
    const target = manifestsTarget(connect(config), strategy, {
      app: 'shop',
      sha: 'a'.repeat(40),
      render: async (version) => {
        renders.push(version);
        return release(namespace, version, releases.get(version));
      },
      mask,
    });
    return { namespace, target, releases, renders };
  }

  const deploymentIn = (namespace: string) => (name: string) => apps.readNamespacedDeployment({ name, namespace });
  const imagesOf = (d: V1Deployment) => d.spec?.template.spec?.containers.map((c) => c.image) ?? [];

  async function recordOf(namespace: string) {
    const secret = await core.readNamespacedSecret({ name: 'ferry-shop-revisions', namespace });
    const record = JSON.parse(gunzipSync(Buffer.from(secret.data?.['record.json.gz'] ?? '', 'base64')).toString('utf8'));
    return { secret, record };
  }

  async function configMaps(namespace: string): Promise<string[]> {
    return (await core.listNamespacedConfigMap({ namespace })).items
      .map((c) => c.metadata?.name ?? '')
      .filter((n) => n.startsWith('shop-'))
      .sort();
  }

  test('rolling: every object applied under the ferry field manager, both Deployments rolled out reading the generated ConfigMap and Secret', async () => {
    const { namespace, target } = await setUp();
    const read = deploymentIn(namespace);
    await target.deploy(V1);
    const expected = release(namespace, V1);
    for (const name of ['shop-web', 'shop-worker']) {
      const deployment = await read(name);
      expect(imagesOf(deployment)).toEqual([V1]);
      expect(deployment.status).toMatchObject({ updatedReplicas: 2, availableReplicas: 2, replicas: 2 });
      expect(envFromOf(deployment)).toEqual([expected.configMapName, expected.secretName]);
      expect(deployment.metadata?.managedFields?.some((f) => f.manager === 'ferry' && f.operation === 'Apply')).toBe(true);
    }
    const configMap = await core.readNamespacedConfigMap({ name: expected.configMapName ?? '', namespace });
    expect(configMap.data).toEqual({ LOG_LEVEL: 'info' });
    expect(configMap.metadata?.managedFields?.map((f) => f.manager)).toEqual(['ferry']);
    const secret = await core.readNamespacedSecret({ name: expected.secretName ?? '', namespace });
    expect(Buffer.from(secret.data?.API_KEY ?? '', 'base64').toString()).toBe(SECRET_VALUE);
    expect((await core.readNamespacedService({ name: 'shop', namespace })).metadata?.managedFields?.map((f) => f.manager)).toEqual(['ferry']);

    // The record lives in the namespace, labelled as Ferry's, and is read back by a fresh target.
    const { secret: recordSecret, record } = await recordOf(namespace);
    expect(recordSecret.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'ferry' });
    expect(record.current).toMatchObject({ version: V1, sha: 'a'.repeat(40) });
    // What the record would only repeat (the Deployments, the generated objects) follows from the objects.
    expect(Object.keys(record.current).sort()).toEqual(['digest', 'objects', 'sha', 'version']);
    // Nothing ran before: the revision before is the empty namespace, which no version names.
    expect(record.previous).toMatchObject({ adopted: true, objects: [] });
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });
    expect(await target.snapshot(V1, 60_000)).toMatchObject({ version: V1, replicas: { desired: 4, ready: 4, restarts: 0 }, problems: [], service: 'shop' });

    // A repeated deploy converges and keeps the record as it was.
    await target.deploy(V1);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });
  });

  test('rolling: a release whose worker crash-loops fails naming the worker; rollback restores both Deployments, their settings, and removes what it added, once', async () => {
    const { namespace, target, releases } = await setUp();
    const read = deploymentIn(namespace);
    await target.deploy(V1);
    const first = release(namespace, V1);
    releases.set(V2, { logLevel: 'debug', crashingWorker: true, extra: true });
    const second = release(namespace, V2, releases.get(V2));

    const failure = await failureOf(target.deploy(V2));
    expect(failure.type).toBe('RolloutFailed');
    expect(failure.message).toContain(`Deployment shop-worker in namespace ${namespace} (context ${context})`);
    expect(failure.message).toMatch(/CrashLoopBackOff/);
    expect(await target.versions()).toEqual({ stable: V2, previous: V1 });
    expect(envFromOf(await read('shop-web'))).toEqual([second.configMapName, second.secretName]);
    expect((await read('shop-mailer')).metadata?.name).toBe('shop-mailer');
    // Analysis sees the crash loop although the web pods serve.
    const snapshot = await target.snapshot(V2, 60_000);
    expect(snapshot.problems.join('\n')).toMatch(/pod shop-worker-[a-z0-9]+-[a-z0-9]+ container sidecar: CrashLoopBackOff/);

    await target.rollback(V2);
    for (const name of ['shop-web', 'shop-worker']) {
      const deployment = await read(name);
      expect(imagesOf(deployment)).toEqual([V1]);
      expect(envFromOf(deployment)).toEqual([first.configMapName, first.secretName]);
      expect(deployment.status).toMatchObject({ updatedReplicas: 2, availableReplicas: 2, replicas: 2 });
    }
    // The Deployment the failed release added, and its ConfigMap and Secret, are gone.
    expect(await statusOf(read('shop-mailer'))).toBe(404);
    expect(await configMaps(namespace)).toEqual([first.configMapName]);
    expect(await statusOf(core.readNamespacedSecret({ name: second.secretName ?? '', namespace }))).toBe(second.secretName === first.secretName ? 200 : 404);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });
    expect(await target.snapshot(V1, 60_000)).toMatchObject({ replicas: { desired: 4, ready: 4, restarts: 0 }, problems: [] });

    // Retried (the worker died after it): converges on V1 again; the spent revision is not swapped back.
    await target.rollback(V2);
    expect(imagesOf(await read('shop-worker'))).toEqual([V1]);
    expect((await failureOf(target.rollback(V1))).type).toBe('NoPreviousVersion');
    expect(imagesOf(await read('shop-web'))).toEqual([V1]);
  });

  test('rolling: generated ConfigMaps that neither the current nor the previous revision uses are pruned; objects Ferry did not apply are never deleted', async () => {
    const { namespace, target, releases } = await setUp();
    // Someone else's ConfigMap in the namespace.
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'shop-theirs' }, data: { a: 'b' } } });
    releases.set(V2, { logLevel: 'warn' });
    releases.set(V3, { logLevel: 'error' });
    await target.deploy(V1);
    await target.deploy(V2);
    await target.deploy(V3);
    const [, second, third] = [V1, V2, V3].map((v) => release(namespace, v, releases.get(v)));
    expect(await configMaps(namespace)).toEqual([second.configMapName, third.configMapName, 'shop-theirs'].sort());
    expect(await target.versions()).toEqual({ stable: V3, previous: V2 });
    await target.rollback(V3);
    expect(await configMaps(namespace)).toEqual([second.configMapName, 'shop-theirs'].sort());
    expect(envFromOf(await deploymentIn(namespace)('shop-worker'))).toEqual([second.configMapName, second.secretName]);
  });

  test('canary: a twin of the rendered Deployment with its new settings beside the live one; promote applies everything; rollback before promote leaves nothing over', async () => {
    const { namespace, target, releases } = await setUp('canary');
    const read = deploymentIn(namespace);
    // The first release has nothing to share traffic with: it is applied whole.
    await target.setCanaryWeight(V1, 20);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });
    expect(await statusOf(read('shop-web-canary'))).toBe(404);

    releases.set(V2, { logLevel: 'debug' });
    const second = release(namespace, V2, releases.get(V2));
    await target.setCanaryWeight(V2, 50);
    const canary = await read('shop-web-canary');
    expect(imagesOf(canary)).toEqual([V2]);
    expect(envFromOf(canary)).toEqual([second.configMapName, second.secretName]);
    expect(canary.spec?.replicas).toBe(2);
    expect(canary.spec?.template.metadata?.labels).toEqual({ app: 'shop-web', 'ferry.dev/track': 'canary' });
    expect(imagesOf(await read('shop-web'))).toEqual([V1]); // the live Deployments are untouched
    expect(imagesOf(await read('shop-worker'))).toEqual([V1]);
    expect((await core.readNamespacedService({ name: 'shop-canary', namespace })).spec?.selector).toEqual({ app: 'shop-web', 'ferry.dev/track': 'canary' });
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined, canary: { version: V2, weight: 50 } });
    expect(await target.snapshot(V2, 60_000)).toMatchObject({ service: 'shop-canary', replicas: { desired: 2, ready: 2 }, problems: [] });

    // Analysis failed: the canary, its Service and its settings go.
    await target.rollback(V2);
    expect(await statusOf(read('shop-web-canary'))).toBe(404);
    expect(await statusOf(core.readNamespacedService({ name: 'shop-canary', namespace }))).toBe(404);
    expect(await configMaps(namespace)).toEqual([release(namespace, V1).configMapName]);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });

    // Next try, promoted: every Deployment rolls to the new release, the canary goes.
    await target.setCanaryWeight(V2, 25);
    await target.promote(V2);
    for (const name of ['shop-web', 'shop-worker']) expect(envFromOf(await read(name))).toEqual([second.configMapName, second.secretName]);
    expect(await statusOf(read('shop-web-canary'))).toBe(404);
    await target.promote(V2); // retried
    await target.retirePrevious(V2);
    expect(await target.versions()).toEqual({ stable: V2, previous: V1 });
    // Failure while stabilizing: the whole previous revision comes back.
    await target.rollback(V2);
    for (const name of ['shop-web', 'shop-worker']) expect(imagesOf(await read(name))).toEqual([V1]);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });
  });

  test('first deploy into an empty namespace, crash-looping: rollback removes everything it applied, and leaves nothing of Ferry but its record', async () => {
    const { namespace, target, releases } = await setUp();
    releases.set(V1, { crashingWorker: true });
    expect((await failureOf(target.deploy(V1))).type).toBe('RolloutFailed');
    await target.rollback(V1);
    expect((await apps.listNamespacedDeployment({ namespace })).items.map((d) => d.metadata?.name)).toEqual([]);
    expect(await configMaps(namespace)).toEqual([]);
    expect((await core.listNamespacedSecret({ namespace })).items.map((x) => x.metadata?.name)).toEqual(['ferry-shop-revisions']);
    expect(await statusOf(core.readNamespacedService({ name: 'shop', namespace }))).toBe(404);
    expect(await target.versions()).toEqual({ stable: undefined, previous: undefined });
    await target.rollback(V1); // retried: converges on the empty namespace again
    expect((await apps.listNamespacedDeployment({ namespace })).items).toEqual([]);
    // And the next release deploys as a first one.
    releases.set(V2, {});
    await target.deploy(V2);
    expect(await target.versions()).toEqual({ stable: V2, previous: undefined });
  });

  test('first deploy over a Deployment that ran before (image mode, say), crash-looping: rollback re-applies its old spec and removes what Ferry added', async () => {
    const { namespace, target, releases } = await setUp();
    const read = deploymentIn(namespace);
    const labels = { app: 'shop-web' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'shop-web', labels: { ...labels, team: 'shop' }, annotations: { note: 'made by hand' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: V3, env: [{ name: 'MODE', value: 'image' }] }] } },
        },
      },
    });
    releases.set(V1, { crashingWorker: true });
    expect((await failureOf(target.deploy(V1))).type).toBe('RolloutFailed');
    // Ferry took the Deployment over.
    expect(imagesOf(await read('shop-web'))).toEqual([V1]);
    expect((await read('shop-web')).spec?.replicas).toBe(2);

    await target.rollback(V1);
    const restored = await read('shop-web');
    expect(imagesOf(restored)).toEqual([V3]);
    expect(restored.spec?.replicas).toBe(1);
    expect(restored.spec?.template.spec?.containers[0].env).toEqual([{ name: 'MODE', value: 'image' }]);
    expect(restored.spec?.template.spec?.containers[0].envFrom).toBeUndefined();
    expect(restored.metadata?.labels).toEqual({ ...labels, team: 'shop' });
    expect(restored.metadata?.annotations?.note).toBe('made by hand');
    expect(await statusOf(read('shop-worker'))).toBe(404);
    expect(await configMaps(namespace)).toEqual([]);
    expect(await statusOf(core.readNamespacedService({ name: 'shop', namespace }))).toBe(404);
    expect(await target.versions()).toEqual({ stable: undefined, previous: undefined });
  });

  test("canary: what the canary Deployment reads and the namespace lacks (the overlay's own hashed ConfigMap) is applied with it and removed by its rollback; new workloads and Services wait for promote", async () => {
    const { namespace, target, releases } = await setUp('canary');
    const read = deploymentIn(namespace);
    releases.set(V1, { overlayConfigMap: 'welcome v1' });
    await target.deploy(V1);
    const first = release(namespace, V1, releases.get(V1));
    releases.set(V2, { overlayConfigMap: 'welcome v2', extra: true, logLevel: 'debug' });
    const second = release(namespace, V2, releases.get(V2));
    const overlayName = (r: RenderedManifests) => r.objects[0].metadata.name;
    expect(overlayName(second)).not.toBe(overlayName(first));

    await target.setCanaryWeight(V2, 50);
    expect(envFromOf(await read('shop-web-canary'))).toEqual([overlayName(second), second.configMapName, second.secretName]);
    expect((await core.readNamespacedConfigMap({ name: overlayName(second), namespace })).data).toEqual({ 'banner.txt': 'welcome v2' });
    expect(await statusOf(read('shop-mailer'))).toBe(404); // a new Deployment waits for promote
    expect(envFromOf(await read('shop-web'))).toEqual([overlayName(first), first.configMapName, first.secretName]);

    await target.rollback(V2);
    expect(await configMaps(namespace)).toEqual([first.configMapName, overlayName(first)].sort());
    await target.setCanaryWeight(V2, 25);
    await target.promote(V2);
    // The previous revision's generated ConfigMap stays for its ReplicaSets; the overlay's own ConfigMap is Ferry's to prune.
    expect(await configMaps(namespace)).toEqual([first.configMapName, second.configMapName, overlayName(second)].sort());
    expect((await read('shop-mailer')).metadata?.name).toBe('shop-mailer');
  });

  test("the API server's refusal that quotes a secret, from a dry run or an apply, reaches the error masked", async () => {
    const { namespace, target, releases } = await setUp();
    releases.set(V1, { secretInLabel: true });
    for (const attempt of [target.prepare(V1), target.deploy(V1)]) {
      const refused = await failureOf(attempt);
      expect(refused.type).toBe('InvalidInput');
      expect(refused.message).toContain(`Deployment shop-web in namespace ${namespace}`);
      expect(refused.message).toContain('***SHOP_API_KEY***!');
      expect(refused.message).not.toContain(SECRET_VALUE);
      expect(refused.cause).toBeUndefined();
    }
  });

  test('a record that unpacks to more than 16 MiB is refused before it is read; one written with the Deployments and generated objects listed still reads', async () => {
    const { namespace, target } = await setUp();
    const write = (record: unknown) =>
      core.replaceNamespacedSecret({
        name: 'ferry-shop-revisions',
        namespace,
        body: { metadata: { name: 'ferry-shop-revisions' }, data: { 'record.json.gz': gzipSync(typeof record === 'string' ? record : JSON.stringify(record)).toString('base64') } },
      });
    await target.deploy(V1);
    const { record } = await recordOf(namespace);
    await write({ ...record, current: { ...record.current, deployments: ['shop-web', 'shop-worker'], generated: [`ConfigMap/${release(namespace, V1).configMapName}`] } });
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });

    await write(' '.repeat(17 << 20));
    const refused = await failureOf(target.versions());
    expect(refused.type).toBe('InvalidInput');
    expect(refused.message).toBe(`Secret ferry-shop-revisions in namespace ${namespace} (context ${context}) unpacks to more than 16 MiB: it is not a record Ferry wrote`);
  });

  test('a release whose record would unpack past 16 MiB (with the current revision) or hold over 2,000 objects is refused by prepare and by deploy, before anything changes; what ran keeps working', async () => {
    const { namespace, target, releases } = await setUp();
    releases.set(V1, { largeConfigMaps: 10 });
    releases.set(V2, { largeConfigMaps: 10, logLevel: 'debug' });
    await target.prepare(V1);
    await target.deploy(V1); // 9 MB with nothing before it: fits

    const prepared = await failureOf(target.prepare(V2));
    expect(prepared.type).toBe('InvalidInput');
    expect(prepared.message).toMatch(
      /^target\.manifests\.path k8s\/overlays\/dev at commit a{7}: Ferry's record of what it applied \(Secret ferry-shop-revisions in namespace \S+ \(context \S+\)\) would unpack to 17\.\d MiB with this release and the one before, over the 16 MiB Ferry reads back: the manifests are too large to keep two revisions of$/,
    );
    const deployed = await failureOf(target.deploy(V2));
    expect(deployed.type).toBe('InvalidInput');
    expect(deployed.message).toContain('would unpack to 17.');
    const { record } = await recordOf(namespace);
    expect(record.current.version).toBe(V1);
    expect(imagesOf(await deploymentIn(namespace)('shop-web'))).toEqual([V1]);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });
    await target.deploy(V1); // the running release can still be deployed again

    releases.set(V3, { manyConfigMaps: 2_000 });
    const many = await failureOf(target.prepare(V3));
    expect(many.message).toMatch(/^target\.manifests\.path k8s\/overlays\/dev at commit a{7}: .* this release holds 2005 objects, over the 2,000 a revision of Ferry's record keeps/);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });
  });

  test('a custom kind the API server serves cluster-scoped is refused by prepare and by deploy, naming the object, and never created; a namespaced one is applied', async () => {
    const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
    const crd = (kind: string, scope: 'Cluster' | 'Namespaced'): V1CustomResourceDefinition => ({
      metadata: { name: `${kind.toLowerCase()}s.test.ferry.dev` },
      spec: {
        group: 'test.ferry.dev',
        scope,
        names: { plural: `${kind.toLowerCase()}s`, singular: kind.toLowerCase(), kind },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } } } }],
      },
    });
    for (const body of [crd('Widget', 'Cluster'), crd('Gadget', 'Namespaced')]) {
      await extensions.createCustomResourceDefinition({ body }).catch((error: { code?: number }) => {
        if (error.code !== 409) throw error;
      });
    }
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    // Established: discovery serves both kinds.
    for (let i = 0; i < 100; i++) {
      const served = await custom.getAPIResources({ group: 'test.ferry.dev', version: 'v1' }).catch(() => undefined);
      if (served?.resources.filter((r) => ['widgets', 'gadgets'].includes(r.name)).length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { namespace, target, releases } = await setUp();
    const object = (kind: string, name: string): KubernetesObject => ({ apiVersion: 'test.ferry.dev/v1', kind, metadata: { name }, spec: { size: 1 } });
    releases.set(V1, { custom: [object('Gadget', 'shop-gadget'), object('Widget', 'shop-widget')] });
    for (const attempt of [target.prepare(V1), target.deploy(V1)]) {
      const refused = await failureOf(attempt);
      expect(refused.type).toBe('InvalidInput');
      expect(refused.message).toBe(
        `Widget shop-widget in namespace ${namespace} (context ${context}): the API server serves test.ferry.dev/v1 Widget cluster-scoped; Ferry applies namespaced objects only, in namespace ${namespace}`,
      );
    }
    const widgets = (await custom.listClusterCustomObject({ group: 'test.ferry.dev', version: 'v1', plural: 'widgets' })) as { items: unknown[] };
    expect(widgets.items).toEqual([]);
    expect(await statusOf(deploymentIn(namespace)('shop-web'))).toBe(404);

    releases.set(V2, { custom: [object('Gadget', 'shop-gadget')] });
    await target.prepare(V2);
    await target.deploy(V2);
    await expect(custom.getNamespacedCustomObject({ group: 'test.ferry.dev', version: 'v1', namespace, plural: 'gadgets', name: 'shop-gadget' })).resolves.toMatchObject({ spec: { size: 1 } });
  });

  test('prepare refuses, before anything changes, a namespace that does not exist and a canary Deployment the manifests lack', async () => {
    const { target } = await setUp();
    await target.prepare(V1);
    await expect(target.versions()).resolves.toEqual({ stable: undefined, previous: undefined }); // nothing applied

    const missing = manifestsTarget(connect({ kind: 'kubernetes', context, namespace: 'ferry-no-such-namespace', manifests: { path: 'k8s' } }), 'rolling', {
      app: 'shop',
      sha: 'b'.repeat(40),
      render: async (version) => release('ferry-no-such-namespace', version),
      mask,
    });
    const refused = await failureOf(missing.prepare(V1));
    expect(refused.type).toBe('InvalidInput');
    expect(refused.message).toMatch(/namespace ferry-no-such-namespace .*namespaces "ferry-no-such-namespace" not found/);
    expect(refused.message).not.toContain(SECRET_VALUE);
    expect(refused.message).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));

    const { namespace } = await setUp();
    const wrongCanary = manifestsTarget(connect({ kind: 'kubernetes', context, namespace, deployment: 'shop-api', manifests: { path: 'k8s' } }), 'canary', {
      app: 'shop',
      sha: 'c'.repeat(40),
      render: async (version) => release(namespace, version),
      mask,
    });
    const noDeployment = await failureOf(wrongCanary.prepare(V1));
    expect(noDeployment.message).toBe(`target.deployment: the manifests at ${'c'.repeat(40)} (k8s) have no Deployment shop-api; they have shop-web, shop-worker`);
  });
});
