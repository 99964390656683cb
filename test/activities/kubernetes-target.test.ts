// The Kubernetes target against a real API server: the control plane `npm test` starts
// (test/kubernetes/) or the cluster in FERRY_TEST_KUBECONFIG. A fresh namespace per run, real
// Deployments, ReplicaSets, pods, Services and EndpointSlices. The cluster must make pods Ready: a
// real one, or kwok's fake node. Images are registry.k8s.io/pause tags, so a real cluster can pull
// them; an image whose name contains "crashloop" cannot be pulled there (ErrImagePull), and kwok's
// stages show it in CrashLoopBackOff instead.
import { ApplicationFailure } from '@temporalio/common';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { canaryReplicas, kubernetesTarget, type KubernetesTargetConfig } from '../../activities/targets/kubernetes';
import { describeOnKubernetes, statusOf } from '../kubernetes/cluster';
import { failureOf } from '../helpers/failures';

const V1 = 'registry.k8s.io/pause:3.8';
const V2 = 'registry.k8s.io/pause:3.9';
const V3 = 'registry.k8s.io/pause:3.10';
const BROKEN = 'registry.k8s.io/ferry-test/crashloop:1';
/** Runs, never Ready (kwok's never-ready stage; a real cluster cannot pull it). */
const NEVER_READY = 'registry.k8s.io/ferry-test/never-ready:1';

/** A TCP proxy to the API server that, once frozen, accepts connections and never forwards them. */
async function freezingProxy(host: string, port: number) {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  let held = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    if (frozen) {
      held += 1;
      return;
    }
    const upstream = net.connect(port, host);
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => {
      frozen = true;
    },
    held: () => held,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('canary replicas', () => {
  test('give the canary its weight of the Service’s pods, at least one, without touching the stable', () => {
    expect(canaryReplicas(4, 20)).toBe(1); // 1 / (4 + 1) = 20%
    expect(canaryReplicas(4, 10)).toBe(1); // rounded up: a canary needs a pod
    expect(canaryReplicas(4, 25)).toBe(2); // 4·25/75 = 1.33 → 2
    expect(canaryReplicas(4, 50)).toBe(4);
    expect(canaryReplicas(9, 10)).toBe(1);
    expect(canaryReplicas(0, 10)).toBe(1);
  });
});

describeOnKubernetes('Kubernetes target against a real API server', ({ kubeconfig: KUBECONFIG, kubeConfig, context, apps, core, discovery }) => {
  const namespace = `ferry-k8s-test-${Date.now().toString(36)}`;
  const kubeConfigServer = () => kubeConfig.getCurrentCluster()?.server ?? '';
  const savedKubeconfig = process.env.KUBECONFIG;

  beforeAll(async () => {
    // The target reads the default kubeconfig, as the worker does.
    process.env.KUBECONFIG = KUBECONFIG;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  const targetConfig = (app: string, extra: Partial<KubernetesTargetConfig> = {}): KubernetesTargetConfig => ({
    kind: 'kubernetes',
    context,
    namespace,
    deployment: app,
    service: app,
    ...extra,
  });

  const read = (name: string) => apps.readNamespacedDeployment({ name, namespace });
  const imageOf = (d: V1Deployment) => d.spec?.template.spec?.containers[0].image;
  const annotations = (d: { metadata?: { annotations?: Record<string, string> } }) => d.metadata?.annotations ?? {};

  /** The test's own wait for its fixtures (polling is fine here), so setup does not lean on the code under test. */
  async function waitAvailable(name: string, seconds = 60): Promise<V1Deployment> {
    for (let i = 0; i < seconds * 4; i++) {
      const d = await read(name);
      const want = d.spec?.replicas ?? 1;
      const s = d.status;
      if ((s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) && s?.updatedReplicas === want && (s?.availableReplicas ?? 0) === want && (s?.replicas ?? 0) === want) {
        return d;
      }
      await sleep(250);
    }
    const pods = await core.listNamespacedPod({ namespace });
    const state = pods.items.map((p) => `${p.metadata?.name} ${p.spec?.nodeName} ${p.status?.phase} ${JSON.stringify(p.status?.conditions)}`);
    throw new Error(`fixture Deployment ${name} did not become available in ${seconds}s: ${JSON.stringify((await read(name)).status)}\n${state.join('\n')}`);
  }

  interface AppOptions {
    progressDeadlineSeconds?: number;
    /** A node selector no node matches: the pods stay Pending, and setup does not wait for them. */
    unschedulable?: boolean;
    /** More labels on the pods, in the selector and the Service's selector. */
    labels?: Record<string, string>;
  }

  async function createApp(app: string, image: string, replicas: number, options: AppOptions = {}): Promise<void> {
    const labels = { app, ...options.labels };
    const nodeSelector = options.unschedulable ? { 'ferry.dev/no-such-node': 'true' } : undefined;
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: app, labels },
        spec: {
          replicas,
          progressDeadlineSeconds: options.progressDeadlineSeconds ?? 600,
          selector: { matchLabels: labels },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: {
            metadata: { labels },
            spec: { terminationGracePeriodSeconds: 0, nodeSelector, containers: [{ name: 'web', image }] },
          },
        },
      },
    });
    await core.createNamespacedService({
      namespace,
      body: { metadata: { name: app }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    if (!options.unschedulable) await waitAvailable(app);
  }

  async function serviceSelector(app: string): Promise<Record<string, string>> {
    return (await core.readNamespacedService({ name: app, namespace })).spec?.selector ?? {};
  }

  /** Images of the pods the Service selects right now: what traffic reaches. */
  async function imagesBehindService(app: string): Promise<string[]> {
    const selector = Object.entries(await serviceSelector(app))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
    return pods.items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.spec?.containers[0].image ?? '')
      .sort();
  }

  /** The pods a Service's EndpointSlices list as ready: where its traffic goes. */
  async function endpointsOf(service: string): Promise<string[]> {
    const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` });
    return slices.items
      .flatMap((slice) => slice.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false)
      .map((e) => e.targetRef?.name ?? '?')
      .sort();
  }

  /** Running (not terminating) pods with these labels and, when given, this image. */
  async function podsWith(labels: Record<string, string>, image?: string): Promise<string[]> {
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
    return pods.items
      .filter((p) => !p.metadata?.deletionTimestamp && (image === undefined || p.spec?.containers[0].image === image))
      .map((p) => p.metadata?.name ?? '?')
      .sort();
  }

  /** The EndpointSlice controller follows a change a moment later: the main Service is waited for here. */
  async function eventuallyEndpoints(service: string, expected: () => Promise<string[]>): Promise<void> {
    let listed: string[] = [];
    let wanted: string[] = [];
    for (let i = 0; i < 100; i++) {
      [listed, wanted] = await Promise.all([endpointsOf(service), expected()]);
      if (listed.join() === wanted.join()) return;
      await sleep(100);
    }
    expect(listed).toEqual(wanted);
  }

  test('rolling: deploy sets the image, records the previous one and the cause, waits; rollback puts it back once', async () => {
    await createApp('rolling', V1, 2);
    const beats: unknown[] = [];
    const target = kubernetesTarget(targetConfig('rolling'), 'rolling', { heartbeat: (d) => beats.push(d) });

    await target.deploy(V2);
    const deployed = await read('rolling');
    expect(imageOf(deployed)).toBe(V2);
    expect(annotations(deployed)['ferry.dev/previous-image']).toBe(V1);
    expect(annotations(deployed)['kubernetes.io/change-cause']).toContain(V2);
    // Returned only once the rollout was over: every replica new and available.
    expect(deployed.status?.observedGeneration).toBeGreaterThanOrEqual(deployed.metadata?.generation ?? 0);
    expect(deployed.status).toMatchObject({ updatedReplicas: 2, availableReplicas: 2, replicas: 2 });
    expect(beats.length).toBeGreaterThan(0);
    expect(beats[0]).toMatchObject({ deployment: 'rolling' });

    // Repeating the deploy changes nothing: the recorded previous image is not overwritten.
    await target.deploy(V2);
    expect(annotations(await read('rolling'))['ferry.dev/previous-image']).toBe(V1);
    expect(await target.versions()).toEqual({ stable: V2, previous: V1 });

    await target.rollback(V3); // not running: nothing to undo
    expect(imageOf(await read('rolling'))).toBe(V2);

    await target.rollback(V2);
    const rolledBack = await read('rolling');
    expect(imageOf(rolledBack)).toBe(V1);
    expect(rolledBack.status).toMatchObject({ updatedReplicas: 2, availableReplicas: 2, replicas: 2 });
    expect(annotations(rolledBack)['kubernetes.io/change-cause']).toContain(`roll back ${V2}`);
    await target.rollback(V2); // repeated: still V1, no swap back
    expect(imageOf(await read('rolling'))).toBe(V1);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });
  });

  test('rolling: a version whose pods never become ready fails once progressDeadlineSeconds passes, naming why', async () => {
    await createApp('stuck', V1, 1, { progressDeadlineSeconds: 5 });
    const target = kubernetesTarget(targetConfig('stuck'), 'rolling');
    const started = Date.now();

    const failure = await failureOf(target.deploy(BROKEN));
    expect(failure.type).toBe('RolloutFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`Deployment stuck in namespace ${namespace} (context ${context})`);
    expect(failure.message).toContain('progressDeadlineSeconds (5s)');
    expect(failure.message).toMatch(/CrashLoopBackOff|ErrImagePull|ImagePullBackOff/);
    expect(Date.now() - started).toBeLessThan(60_000);

    // What analysis sees of the broken version: a replica that is not ready and why.
    const snapshot = await target.snapshot(BROKEN, 60_000);
    expect(snapshot.replicas).toMatchObject({ desired: 1, ready: 0 });
    expect(snapshot.problems.join('\n')).toMatch(/pod stuck-[a-z0-9]+-[a-z0-9]+ container web: (CrashLoopBackOff|ErrImagePull|ImagePullBackOff)/);
    expect(snapshot.problems).toContain(`no ready replica of ${BROKEN} (1 wanted) in namespace ${namespace}`);
    if (snapshot.problems.some((p) => p.includes('CrashLoopBackOff'))) expect(snapshot.replicas?.restarts).toBeGreaterThan(0);

    // The saga's undo: back to the version before, which becomes ready again.
    await target.rollback(BROKEN);
    expect(imageOf(await read('stuck'))).toBe(V1);
    const healthy = await target.snapshot(V1, 60_000);
    expect(healthy).toMatchObject({ version: V1, replicas: { desired: 1, ready: 1, restarts: 0 }, problems: [] });
  });

  test('rolling: a version whose pods run but never become Ready fails at the progress deadline and is rolled back', async () => {
    await createApp('unready', V1, 1, { progressDeadlineSeconds: 4 });
    const target = kubernetesTarget(targetConfig('unready'), 'rolling');
    const failure = await failureOf(target.deploy(NEVER_READY));
    expect(failure.type).toBe('RolloutFailed');
    expect(failure.message).toContain('progressDeadlineSeconds (4s)');
    const snapshot = await target.snapshot(NEVER_READY, 60_000);
    expect(snapshot.replicas).toMatchObject({ desired: 1, ready: 0 });
    expect(snapshot.problems).toContain(`no ready replica of ${NEVER_READY} (1 wanted) in namespace ${namespace}`);
    await target.rollback(NEVER_READY);
    expect(await target.snapshot(V1, 60_000)).toMatchObject({ replicas: { desired: 1, ready: 1, restarts: 0 }, problems: [] });
  });

  test('snapshot names pods that no node can take', async () => {
    await createApp('pending', V1, 2, { unschedulable: true });
    const target = kubernetesTarget(targetConfig('pending'), 'rolling');
    const unschedulable = (problems: string[]) => problems.filter((p) => p.includes('cannot be scheduled')).length;
    let snapshot = await target.snapshot(V1, 60_000);
    for (let i = 0; i < 40 && unschedulable(snapshot.problems) < 2; i++) {
      await sleep(250); // the scheduler needs a moment to give up on each of them
      snapshot = await target.snapshot(V1, 60_000);
    }
    expect(snapshot.replicas).toEqual({ desired: 2, ready: 0, restarts: 0 });
    expect(snapshot.problems.filter((p) => /^pod pending-[a-z0-9]+-[a-z0-9]+ cannot be scheduled: /.test(p))).toHaveLength(2);
    expect(snapshot.problems).toContain(`no ready replica of ${V1} (2 wanted) in namespace ${namespace}`);
    expect((await target.snapshot(V2, 60_000)).problems).toEqual([`${V2} is not running in namespace ${namespace} (context ${context})`]);
  });

  test('rolling: a wait is cancelled by the abort signal', async () => {
    await createApp('cancel', V1, 1);
    const controller = new AbortController();
    const target = kubernetesTarget(targetConfig('cancel'), 'rolling', { signal: controller.signal });
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 1_500);
    await expect(target.deploy(BROKEN)).rejects.toThrow('activity cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
    await kubernetesTarget(targetConfig('cancel'), 'rolling').rollback(BROKEN);
    expect(imageOf(await read('cancel'))).toBe(V1);
  });

  test('canary: a second Deployment behind the same Service, and a canary Service that reaches its pods alone; promote and rollback leave nothing over', async () => {
    await createApp('shop', V1, 4);
    const config = targetConfig('shop', { url: 'http://{service}.shop.example.test:8080' });
    const target = kubernetesTarget(config, 'canary');
    const stablePods = () =>
      podsWith({ app: 'shop' }).then(async (all) => {
        const canary = new Set(await podsWith({ app: 'shop', 'ferry.dev/track': 'canary' }));
        return all.filter((p) => !canary.has(p));
      });
    const canaryPods = () => podsWith({ app: 'shop', 'ferry.dev/track': 'canary' });
    const allPods = () => podsWith({ app: 'shop' });

    await target.setCanaryWeight(V2, 20);
    let canary = await read('shop-canary');
    expect(canary.spec?.replicas).toBe(1);
    expect(imageOf(canary)).toBe(V2);
    expect(canary.spec?.template.metadata?.labels).toEqual({ app: 'shop', 'ferry.dev/track': 'canary' });
    expect(canary.status?.availableReplicas).toBe(1);
    expect(await imagesBehindService('shop')).toEqual([V1, V1, V1, V1, V2]);
    // The canary Service, made by Ferry, selects the canary's pods and no others, and was ready on return.
    expect(await serviceSelector('shop-canary')).toEqual({ app: 'shop', 'ferry.dev/track': 'canary' });
    expect((await core.readNamespacedService({ name: 'shop-canary', namespace })).spec?.ports).toMatchObject([{ port: 80, targetPort: 8080 }]);
    expect(await endpointsOf('shop-canary')).toEqual(await canaryPods());
    expect(await canaryPods()).toHaveLength(1);
    await eventuallyEndpoints('shop', allPods);
    expect(await endpointsOf('shop')).toHaveLength(5);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined, canary: { version: V2, weight: 20 } });
    // Each version is judged at its own address: the canary's Service, the stable's.
    expect(await target.snapshot(V2, 60_000)).toMatchObject({ service: 'shop-canary', baseUrl: 'http://shop-canary.shop.example.test:8080' });
    expect(await target.snapshot(V1, 60_000)).toMatchObject({ service: 'shop', baseUrl: 'http://shop.shop.example.test:8080' });

    await target.setCanaryWeight(V2, 50);
    canary = await read('shop-canary');
    expect(canary.spec?.replicas).toBe(4);
    expect(canary.status?.availableReplicas).toBe(4);
    expect(await endpointsOf('shop-canary')).toEqual(await canaryPods());
    expect(await canaryPods()).toHaveLength(4);
    expect(await target.snapshot(V2, 60_000)).toEqual({
      version: V2,
      replicas: { desired: 4, ready: 4, restarts: 0 },
      problems: [],
      service: 'shop-canary',
      baseUrl: 'http://shop-canary.shop.example.test:8080',
    });

    // A worker that restarted reads the same state from the cluster.
    const restarted = kubernetesTarget(config, 'canary');
    expect(await restarted.versions()).toEqual({ stable: V1, previous: undefined, canary: { version: V2, weight: 50 } });
    expect((await failureOf(restarted.setCanaryWeight(V2, 0))).type).toBe('InvalidInput');
    expect((await failureOf(restarted.setCanaryWeight(V2, 100))).type).toBe('InvalidInput');

    // Analysis failed: the canary and its Service go, the stable never changed.
    await restarted.rollback(V2);
    expect(await statusOf(read('shop-canary'))).toBe(404);
    expect(await statusOf(core.readNamespacedService({ name: 'shop-canary', namespace }))).toBe(404);
    expect(imageOf(await read('shop'))).toBe(V1);
    expect(await imagesBehindService('shop')).toEqual([V1, V1, V1, V1]);
    await eventuallyEndpoints('shop', stablePods);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });
    await restarted.rollback(V2);

    // Next try: promoted this time.
    await target.setCanaryWeight(V2, 25);
    expect((await read('shop-canary')).spec?.replicas).toBe(2);
    expect(await endpointsOf('shop-canary')).toEqual(await canaryPods());
    await target.promote(V2);
    const stable = await read('shop');
    expect(imageOf(stable)).toBe(V2);
    expect(stable.status).toMatchObject({ updatedReplicas: 4, availableReplicas: 4, replicas: 4 });
    expect(annotations(stable)['ferry.dev/previous-image']).toBe(V1);
    expect(await statusOf(read('shop-canary'))).toBe(404);
    expect(await statusOf(core.readNamespacedService({ name: 'shop-canary', namespace }))).toBe(404);
    expect(await imagesBehindService('shop')).toEqual([V2, V2, V2, V2]);
    await eventuallyEndpoints('shop', () => podsWith({ app: 'shop' }, V2));
    expect(await target.snapshot(V2, 60_000)).toMatchObject({ service: 'shop', baseUrl: 'http://shop.shop.example.test:8080' });
    await target.promote(V2);
    await target.retirePrevious(V2);
    expect(await target.versions()).toEqual({ stable: V2, previous: V1 });

    // A failure while stabilizing: the promoted version is rolled back too.
    await target.rollback(V2);
    expect(imageOf(await read('shop'))).toBe(V1);
    expect(await imagesBehindService('shop')).toEqual([V1, V1, V1, V1]);
    await eventuallyEndpoints('shop', () => podsWith({ app: 'shop' }, V1));
    const left = await apps.listNamespacedDeployment({ namespace, labelSelector: 'app=shop' });
    expect(left.items.map((d) => d.metadata?.name)).toEqual(['shop']);
  });

  test("canary: a weight change resizes the canary in place, whatever the order of the selector's labels", async () => {
    // `tier` sorts after ferry.dev/track: the API server hands the selector back in another order than Ferry wrote it.
    await createApp('tiered', V1, 4, { labels: { tier: 'web' } });
    const target = kubernetesTarget(targetConfig('tiered'), 'canary');
    const canaryPods = () => podsWith({ app: 'tiered', 'ferry.dev/track': 'canary' });
    await target.setCanaryWeight(V2, 20);
    const [first] = await canaryPods();
    const created = (await read('tiered-canary')).metadata?.uid;
    await target.setCanaryWeight(V2, 50);
    expect((await read('tiered-canary')).metadata?.uid).toBe(created);
    expect(await canaryPods()).toContain(first);
    expect(await canaryPods()).toHaveLength(4);
    expect(await serviceSelector('tiered-canary')).toEqual({ app: 'tiered', tier: 'web', 'ferry.dev/track': 'canary' });
    expect(await endpointsOf('tiered-canary')).toEqual(await canaryPods());
    await target.rollback(V2);
    expect(await statusOf(read('tiered-canary'))).toBe(404);
  });

  test('blue-green: the idle colour comes up Ready behind a preview Service, the Service switches once its endpoints follow, switches back, and colours alternate', async () => {
    await createApp('web', V1, 2);
    const target = kubernetesTarget(targetConfig('web', { url: 'http://{service}.web.example.test' }), 'blue-green');
    const colourPods = (colour: string) => podsWith({ app: 'web', 'ferry.dev/colour': colour });

    await target.setCanaryWeight(V2, 0);
    expect(await serviceSelector('web')).toEqual({ app: 'web', 'ferry.dev/colour': 'blue' });
    const green = await read('web-green');
    expect(imageOf(green)).toBe(V2);
    expect(green.status).toMatchObject({ replicas: 2, availableReplicas: 2 });
    expect(await imagesBehindService('web')).toEqual([V1, V1]);
    // The preview Service reaches the idle colour alone, and did on return.
    expect(await serviceSelector('web-preview')).toEqual({ app: 'web', 'ferry.dev/colour': 'green' });
    expect(await endpointsOf('web-preview')).toEqual(await colourPods('green'));
    expect(await colourPods('green')).toHaveLength(2);
    await eventuallyEndpoints('web', () => colourPods('blue'));
    expect(await target.snapshot(V2, 60_000)).toMatchObject({ service: 'web-preview', baseUrl: 'http://web-preview.web.example.test' });
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined, canary: { version: V2, weight: 0 } });
    expect((await failureOf(target.setCanaryWeight(V2, 10))).type).toBe('InvalidInput');
    expect((await failureOf(target.promote(V3))).message).toContain('does not run it');

    await target.promote(V2);
    expect(await serviceSelector('web')).toEqual({ app: 'web', 'ferry.dev/colour': 'green' });
    // Promote returned once the Service's endpoints were the new colour's pods.
    expect(await endpointsOf('web')).toEqual(await colourPods('green'));
    expect(await statusOf(core.readNamespacedService({ name: 'web-preview', namespace }))).toBe(404);
    expect(await imagesBehindService('web')).toEqual([V2, V2]);
    expect((await read('web')).spec?.replicas).toBe(2); // kept for an instant switch back
    expect(await target.snapshot(V2, 60_000)).toMatchObject({ service: 'web', baseUrl: 'http://web.web.example.test' });
    expect(await kubernetesTarget(targetConfig('web'), 'blue-green').versions()).toEqual({ stable: V2, previous: V1 });

    await target.retirePrevious(V2);
    expect((await read('web')).spec?.replicas).toBe(0);

    // Switch back: the retired colour is scaled up, Ready, then selected; the bad colour goes.
    await target.rollback(V2);
    expect(await serviceSelector('web')).toEqual({ app: 'web', 'ferry.dev/colour': 'blue' });
    expect((await read('web')).status).toMatchObject({ replicas: 2, availableReplicas: 2 });
    expect((await read('web-green')).spec?.replicas).toBe(0);
    expect(await imagesBehindService('web')).toEqual([V1, V1]);
    expect(await endpointsOf('web')).toEqual(await colourPods('blue'));
    await target.rollback(V2);
    expect(await target.versions()).toEqual({ stable: V1, previous: undefined });

    // The next releases alternate colours: V2 into green again, then V3 into blue.
    await target.deploy(V2);
    expect(await serviceSelector('web')).toMatchObject({ 'ferry.dev/colour': 'green' });
    expect(await endpointsOf('web')).toEqual(await colourPods('green'));
    await target.setCanaryWeight(V3, 0);
    expect(imageOf(await read('web'))).toBe(V3);
    expect(await serviceSelector('web-preview')).toEqual({ app: 'web', 'ferry.dev/colour': 'blue' });
    expect(await endpointsOf('web-preview')).toEqual(await colourPods('blue'));
    expect(await target.versions()).toEqual({ stable: V2, previous: V1, canary: { version: V3, weight: 0 } });
    // Analysis of the idle colour failed: it is scaled away, its preview goes, and traffic never moved.
    await target.rollback(V3);
    expect((await read('web')).spec?.replicas).toBe(0);
    expect(await statusOf(core.readNamespacedService({ name: 'web-preview', namespace }))).toBe(404);
    expect(await imagesBehindService('web')).toEqual([V2, V2]);
    expect(await endpointsOf('web')).toEqual(await colourPods('green'));
    await target.setCanaryWeight(V3, 0);
    expect(await endpointsOf('web-preview')).toEqual(await colourPods('blue'));
    await target.promote(V3);
    expect(await serviceSelector('web')).toMatchObject({ 'ferry.dev/colour': 'blue' });
    expect(await imagesBehindService('web')).toEqual([V3, V3]);
    expect(await endpointsOf('web')).toEqual(await colourPods('blue'));
    // A retried promote (the worker died after the switch) changes nothing and still returns.
    await target.promote(V3);
    expect(await endpointsOf('web')).toEqual(await colourPods('blue'));
    expect(await target.versions()).toEqual({ stable: V3, previous: V2 });
  });

  test("a Service of the same name that is not Ferry's is never taken over", async () => {
    await createApp('owned', V1, 1);
    await core.createNamespacedService({ namespace, body: { metadata: { name: 'owned-canary' }, spec: { selector: { team: 'other' }, ports: [{ port: 80 }] } } });
    const failure = await failureOf(kubernetesTarget(targetConfig('owned'), 'canary').setCanaryWeight(V2, 50));
    expect(failure.type).toBe('InvalidInput');
    expect(failure.message).toBe(`Service owned-canary in namespace ${namespace} (context ${context}) exists and is not Ferry's (no ferry.dev/role=canary label): rename it or the target's service`);
    expect(await serviceSelector('owned-canary')).toEqual({ team: 'other' });
    await kubernetesTarget(targetConfig('owned'), 'canary').rollback(V2);
    expect(await serviceSelector('owned-canary')).toEqual({ team: 'other' });
  });

  test('an abort interrupts an API call in flight, not only a wait', async () => {
    await createApp('frozen', V1, 1);
    const server = new URL(kubeConfigServer());
    const proxy = await freezingProxy(server.hostname, Number(server.port || 443));
    // The same kubeconfig through the proxy; TLS still checks the API server's own host name (an IP
    // cannot be a TLS server name: a server known by IP must have 127.0.0.1 in its certificate).
    const throughProxy = new KubeConfig();
    throughProxy.loadFromOptions({
      clusters: kubeConfig.clusters.map((c) =>
        c.name === kubeConfig.getCurrentCluster()?.name
          ? { ...c, server: `https://127.0.0.1:${proxy.port}`, tlsServerName: c.tlsServerName ?? (net.isIP(server.hostname) ? undefined : server.hostname) }
          : c,
      ),
      users: kubeConfig.users,
      contexts: kubeConfig.contexts,
      currentContext: kubeConfig.currentContext,
    });
    const frozenConfig = join(mkdtempSync(join(tmpdir(), 'ferry-kubeconfig-')), 'config');
    writeFileSync(frozenConfig, throughProxy.exportConfig());
    process.env.KUBECONFIG = frozenConfig;
    try {
      const controller = new AbortController();
      const target = kubernetesTarget(targetConfig('frozen'), 'rolling', { signal: controller.signal });
      proxy.freeze(); // the API server stops answering: the next request hangs
      const call = target.deploy(V2).then(
        () => 'returned',
        (e: unknown) => e,
      );
      await sleep(500);
      expect(proxy.held()).toBeGreaterThan(0); // the call is in flight, not in a wait
      controller.abort(new Error('activity cancelled'));
      // Without the signal on the request this never settles (the proxy holds it): the test times out.
      const outcome = await call;
      expect(outcome).toBeInstanceOf(Error);
      expect(imageOf(await read('frozen'))).toBe(V1); // nothing was changed
    } finally {
      process.env.KUBECONFIG = KUBECONFIG;
      proxy.close();
    }
  });

  test('configuration errors are non-retryable and name the context, namespace and object', async () => {
    await createApp('plain', V1, 1);
    const missing = await failureOf(kubernetesTarget(targetConfig('nope'), 'rolling').deploy(V2));
    expect(missing.type).toBe('InvalidInput');
    expect(missing.nonRetryable).toBe(true);
    expect(missing.message).toBe(`Deployment nope in namespace ${namespace} (context ${context}) does not exist`);

    const noContext = (() => {
      try {
        kubernetesTarget({ ...targetConfig('plain'), context: 'no-such-context' }, 'rolling');
      } catch (error) {
        return error;
      }
    })();
    expect(noContext).toBeInstanceOf(ApplicationFailure);
    expect((noContext as ApplicationFailure).type).toBe('InvalidInput');
    expect((noContext as ApplicationFailure).message).toMatch(/has no context "no-such-context"; it has .*\b/);
    expect((noContext as ApplicationFailure).message).toContain(context);

    const noContainer = await failureOf(kubernetesTarget(targetConfig('plain', { container: 'sidecar' }), 'rolling').deploy(V2));
    expect(noContainer.message).toBe(`Deployment plain in namespace ${namespace} (context ${context}) has no container sidecar (it has web)`);

    const noService = await failureOf(kubernetesTarget(targetConfig('plain', { service: undefined }), 'blue-green').setCanaryWeight(V2, 0));
    expect(noService.type).toBe('InvalidInput');
    expect(noService.message).toContain('has no service');

    // An API server that cannot be reached is not a configuration error: the activity retries.
    const unreachable = join(mkdtempSync(join(tmpdir(), 'ferry-kubeconfig-')), 'config');
    writeFileSync(
      unreachable,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: down, cluster: { server: "https://127.0.0.1:1" } }]',
        'users: [{ name: nobody, user: { token: x } }]',
        'contexts: [{ name: down, context: { cluster: down, user: nobody } }]',
      ].join('\n'),
    );
    process.env.KUBECONFIG = `${KUBECONFIG}${delimiter}${unreachable}`;
    const down = await kubernetesTarget({ ...targetConfig('plain'), context: 'down' }, 'rolling')
      .deploy(V2)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    process.env.KUBECONFIG = KUBECONFIG;
    expect(down).not.toBeInstanceOf(ApplicationFailure);
    expect((down as Error).message).toContain(`reading Deployment plain in namespace ${namespace} (context down): `);
    expect((down as Error).message).toMatch(/ECONNREFUSED/);

    const wrongService = await failureOf(kubernetesTarget(targetConfig('plain', { service: 'missing-svc' }), 'blue-green').versions());
    expect(wrongService.message).toBe(`Service missing-svc in namespace ${namespace} (context ${context}) does not exist`);
    expect(imageOf(await read('plain'))).toBe(V1);
  });
});
