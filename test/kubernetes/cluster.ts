// The cluster the Kubernetes tests run on: the one in FERRY_TEST_KUBECONFIG (set by the user, or by
// global-setup.js after it started the control plane), or none. Without one the tests skip,
// naming what to install; in CI a missing cluster fails the run instead, so CI never passes
// without having run them.
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { describeNeeding } from '../helpers/describe-needing';

export interface TestCluster {
  kubeconfig: string;
  context: string;
  kubeConfig: KubeConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
  discovery: DiscoveryV1Api;
}

const MISSING =
  process.env.FERRY_TEST_KUBERNETES_MISSING ??
  'no Kubernetes cluster: install Go 1.26 or newer (https://go.dev/dl/) and `npm test` builds and starts a control plane itself, ' +
    'or set FERRY_TEST_KUBECONFIG (and optionally FERRY_TEST_KUBE_CONTEXT) to a disposable cluster';

export function testCluster(): TestCluster | undefined {
  const kubeconfig = process.env.FERRY_TEST_KUBECONFIG;
  if (!kubeconfig) return undefined;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  const context = process.env.FERRY_TEST_KUBE_CONTEXT ?? kubeConfig.getCurrentContext();
  kubeConfig.setCurrentContext(context);
  return {
    kubeconfig,
    context,
    kubeConfig,
    apps: kubeConfig.makeApiClient(AppsV1Api),
    core: kubeConfig.makeApiClient(CoreV1Api),
    discovery: kubeConfig.makeApiClient(DiscoveryV1Api),
  };
}

/** `describe` on the test cluster; without one, a skip that says what to install (a failure in CI). */
export function describeOnKubernetes(name: string, body: (cluster: TestCluster) => void): void {
  describeNeeding(name, testCluster(), MISSING, body);
}

/** The HTTP status an API call ended with: 200 when it succeeded. */
export const statusOf = (call: Promise<unknown>): Promise<number | undefined> =>
  call.then(
    () => 200,
    (e: { code?: number }) => e.code,
  );

/** What the first container of a Deployment reads its environment from (ConfigMap or Secret names). */
export const envFromOf = (deployment: V1Deployment) => deployment.spec?.template.spec?.containers[0].envFrom?.map((e) => e.configMapRef?.name ?? e.secretRef?.name);
