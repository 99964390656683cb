// Manifests mode end to end below the workflow: the shop's own k8s/ overlays in a real git
// repository, rendered by the real kustomize, applied to the real control plane through
// kubernetesTarget as a worker builds it. A test overlay on top of dev gives the Deployments a
// short progress deadline; a later commit makes the worker crash-loop (a sidecar whose image kwok
// crash-loops) and adds a Deployment, so a failed release, its rollback and its prune are real.
import fs from 'node:fs';
import path from 'node:path';
import { kubernetesTarget, type KubernetesTargetConfig, type ManifestsInput } from '../../activities/targets/kubernetes';
import { AUTHORS, removeTempDirs, TestRepo } from '../helpers/git-repo';
import { describeOnKubernetes, envFromOf, statusOf } from '../kubernetes/cluster';
import { failureOf } from '../helpers/failures';
import { testKustomize } from '../kubernetes/kustomize';

const SHOP_K8S = path.resolve(__dirname, '..', '..', 'examples', 'shop', 'k8s');
const SECRET_ENV = 'FERRY_K8S_MANIFESTS_TEST_API_TOKEN';
const SECRET_VALUE = 'tok-manifests-5e4d3c2b1a';
const V1 = 'registry.k8s.io/pause:3.8';
const V2 = 'registry.k8s.io/pause:3.9';

jest.setTimeout(120_000);

function filesOf(dir: string, prefix: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[path.join(prefix, path.relative(dir, path.join(entry.parentPath, entry.name)))] = fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}

/** dev, with a deadline kwok's instant pods make meaningful and no grace period to wait out. */
const TEST_OVERLAY = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../dev
patches:
  - target: { kind: Deployment }
    patch: |
      - { op: add, path: /spec/progressDeadlineSeconds, value: 5 }
      - { op: add, path: /spec/template/spec/terminationGracePeriodSeconds, value: 0 }
`;

const CRASHING_OVERLAY = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../dev
  - mailer.yaml
patches:
  - target: { kind: Deployment }
    patch: |
      - { op: add, path: /spec/progressDeadlineSeconds, value: 5 }
      - { op: add, path: /spec/template/spec/terminationGracePeriodSeconds, value: 0 }
  - target: { kind: Deployment, name: shop-worker }
    patch: |
      - { op: add, path: /spec/template/spec/containers/-, value: { name: sidecar, image: registry.k8s.io/ferry-test/crashloop:1 } }
`;

const MAILER = `apiVersion: apps/v1
kind: Deployment
metadata: { name: shop-mailer }
spec:
  selector: { matchLabels: { app: shop-mailer } }
  template:
    metadata: { labels: { app: shop-mailer } }
    spec:
      containers: [{ name: mailer, image: shop }]
`;

describeOnKubernetes('Kubernetes target, manifests mode, with the shop overlays rendered by kustomize', ({ kubeconfig: KUBECONFIG, context, apps, core }) => {
  const kustomize = testKustomize();
  const saved = { KUBECONFIG: process.env.KUBECONFIG, FERRY_KUSTOMIZE: process.env.FERRY_KUSTOMIZE };
  const namespace = `ferry-manifests-render-${Date.now().toString(36)}`;
  const repo = new TestRepo();
  let good: string;
  let crashing: string;

  beforeAll(async () => {
    if (!kustomize) throw new Error('no kustomize: `node scripts/kubernetes/binaries.js` builds it beside the control plane, or set FERRY_KUSTOMIZE');
    process.env.KUBECONFIG = KUBECONFIG;
    process.env.FERRY_KUSTOMIZE = kustomize;
    process.env[SECRET_ENV] = SECRET_VALUE;
    good = repo.commit('The shop with its manifests', AUTHORS.ada, { ...filesOf(SHOP_K8S, 'k8s'), 'k8s/overlays/test/kustomization.yaml': TEST_OVERLAY });
    crashing = repo.commit('A worker sidecar and a mailer', AUTHORS.grace, {
      'k8s/overlays/test/kustomization.yaml': CRASHING_OVERLAY,
      'k8s/overlays/test/mailer.yaml': MAILER,
    });
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    delete process.env[SECRET_ENV];
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    removeTempDirs();
  });

  const config: () => KubernetesTargetConfig = () => ({ kind: 'kubernetes', context, namespace, service: 'shop', manifests: { path: 'k8s/overlays/test', image: 'shop' } });
  const release = (sha: string, secrets: Record<string, string> = { API_TOKEN: SECRET_ENV }): ManifestsInput => ({
    app: 'shop',
    environment: 'dev',
    source: { repo: repo.dir, sha },
    appEnvironment: { variables: { LOG_LEVEL: 'debug' }, secrets },
  });
  const target = (sha: string, input = release(sha)) => kubernetesTarget(config(), 'rolling', {}, input);
  const read = (name: string) => apps.readNamespacedDeployment({ name, namespace });

  test('prepare refuses an overlay missing at the commit and a secret the worker lacks, changing nothing', async () => {
    const noOverlay = await failureOf(kubernetesTarget({ ...config(), manifests: { path: 'k8s/overlays/qa' } }, 'rolling', {}, release(good)).prepare(V1));
    expect(noOverlay.type).toBe('InvalidInput');
    expect(noOverlay.message).toContain('k8s/overlays/qa');
    const unset = await failureOf(target(good, release(good, { API_TOKEN: 'FERRY_K8S_MANIFESTS_TEST_UNSET' })).prepare(V1));
    expect(unset.type).toBe('InvalidInput');
    expect(unset.message).toContain('FERRY_K8S_MANIFESTS_TEST_UNSET');
    await target(good).prepare(V1);
    expect((await apps.listNamespacedDeployment({ namespace })).items).toEqual([]);
  });

  test('both Deployments roll out reading the ConfigMap and the Secret; a release whose worker crash-loops fails naming it, and its rollback restores both and removes what it added', async () => {
    await target(good).deploy(V1);
    const web = await read('shop-web');
    const worker = await read('shop-worker');
    const [configMapName, secretName] = envFromOf(web) ?? [];
    expect(envFromOf(worker)).toEqual([configMapName, secretName]);
    expect(web.spec?.template.spec?.containers[0].image).toBe(V1);
    expect(worker.status).toMatchObject({ replicas: 1, availableReplicas: 1, updatedReplicas: 1 });
    expect(web.metadata?.managedFields?.some((f) => f.manager === 'ferry' && f.operation === 'Apply')).toBe(true);
    const configMap = await core.readNamespacedConfigMap({ name: configMapName ?? '', namespace });
    expect(configMap.data).toMatchObject({ LOG_LEVEL: 'debug', VERSION: V1, ENVIRONMENT: 'dev' });
    const secret = await core.readNamespacedSecret({ name: secretName ?? '', namespace });
    expect(Buffer.from(secret.data?.API_TOKEN ?? '', 'base64').toString()).toBe(SECRET_VALUE);

    const failure = await failureOf(target(crashing).deploy(V2));
    expect(failure.type).toBe('RolloutFailed');
    expect(failure.message).toContain(`rollout of Deployment shop-worker in namespace ${namespace}`);
    expect(failure.message).not.toContain(SECRET_VALUE);
    expect((await read('shop-mailer')).spec?.template.spec?.containers[0].image).toBe(V2);
    const problems = (await target(crashing).snapshot(V2, 60_000)).problems.join('\n');
    expect(problems).toMatch(/pod shop-worker-\S+ container sidecar: CrashLoopBackOff/);

    // The saga's undo builds its target from the failed release's input: it needs no render.
    await target(crashing).rollback(V2);
    for (const name of ['shop-web', 'shop-worker']) {
      const restored = await read(name);
      expect(restored.spec?.template.spec?.containers.map((c) => c.image)).toEqual([V1]);
      expect(envFromOf(restored)).toEqual([configMapName, secretName]);
      expect(restored.status).toMatchObject({ replicas: 1, availableReplicas: 1, updatedReplicas: 1 });
    }
    expect(await statusOf(read('shop-mailer'))).toBe(404);
    await target(crashing).rollback(V2); // retried: converges, no swap back
    expect(await target(good).versions()).toEqual({ stable: V1, previous: undefined });
    expect(await target(good).snapshot(V1, 60_000)).toMatchObject({ replicas: { desired: 2, ready: 2, restarts: 0 }, problems: [] });
  });
});
