// The Kubernetes target: one kubeconfig context and namespace per environment, one strategy per
// target. Every method reads its state from the cluster first, so each one is safe to repeat and
// a worker that restarts mid-promotion carries on from what the cluster says.
import type { StrategyConfig } from '../../../common/config-schema';
import type { Target, TargetVersions } from '../target';
import * as blueGreen from './blue-green';
import * as canary from './canary';
import { connect, invalidInput, readDeployment, type Cluster, type KubernetesTargetConfig, type TargetOptions } from './client';
import { manifestsTarget } from './manifests/mode';
import { readAppSecrets } from '../../app-secrets';
import { renderManifests, type RenderInput } from './manifests/render';
import { rollBack, rollTo } from './rolling';
import { snapshotOf, type Serving } from './snapshot';
import { ANNOTATION, annotationOf, imageOf } from './workload';

export type { KubernetesTargetConfig, TargetOptions } from './client';

/** What manifests mode renders from besides the target: the release and the environment it goes to. */
export type ManifestsInput = Omit<RenderInput, 'target' | 'version'>;
export { canaryReplicas } from './canary';

type Strategy = StrategyConfig['kind'];

interface StrategyOps {
  versions(cluster: Cluster): Promise<TargetVersions>;
  deploy(cluster: Cluster, version: string): Promise<void>;
  setCanaryWeight(cluster: Cluster, version: string, weight: number): Promise<void>;
  promote(cluster: Cluster, version: string): Promise<void>;
  retirePrevious(cluster: Cluster, version: string): Promise<void>;
  rollback(cluster: Cluster, version: string): Promise<void>;
  /** The Deployments that may run a version, each with the Service that reaches it alone. */
  serving(cluster: Cluster): Promise<Serving[]>;
}

const stableDeployment = (cluster: Cluster) => readDeployment(cluster, cluster.config.deployment);
const rollStable = async (cluster: Cluster, version: string) => {
  await rollTo(cluster, cluster.config.deployment, version, `ferry: deploy ${version}`);
};

const rolling: StrategyOps = {
  async versions(cluster) {
    const stable = await stableDeployment(cluster);
    return { stable: imageOf(cluster, stable), previous: annotationOf(stable, ANNOTATION.previousImage) };
  },
  deploy: rollStable,
  setCanaryWeight: async (cluster) => {
    throw invalidInput(`${cluster.where('Deployment', cluster.config.deployment)} is deployed rolling: it has no canary`);
  },
  promote: rollStable,
  // A rolling update leaves nothing of the previous version running.
  retirePrevious: async () => undefined,
  rollback: (cluster, version) => rollBack(cluster, cluster.config.deployment, version),
  serving: async (cluster) => [{ deployment: await stableDeployment(cluster), service: cluster.config.service }],
};

const canaryOps: StrategyOps = {
  versions: canary.versions,
  // All traffic at once is a promote without steps before it.
  deploy: canary.promote,
  setCanaryWeight: canary.setCanaryWeight,
  promote: canary.promote,
  retirePrevious: canary.retirePrevious,
  rollback: canary.rollback,
  serving: canary.serving,
};

const blueGreenOps: StrategyOps = {
  versions: blueGreen.versions,
  deploy: async (cluster, version) => {
    await blueGreen.bringUp(cluster, version, 0);
    await blueGreen.promote(cluster, version);
  },
  setCanaryWeight: blueGreen.bringUp,
  promote: blueGreen.promote,
  retirePrevious: blueGreen.retirePrevious,
  rollback: blueGreen.rollback,
  serving: blueGreen.serving,
};

const STRATEGIES: Record<Strategy, StrategyOps> = { rolling, canary: canaryOps, 'blue-green': blueGreenOps };

/**
 * Reads the kubeconfig (KUBECONFIG or ~/.kube/config) now, so a missing context fails the
 * activity at once with a non-retryable InvalidInput; the cluster is first called by a method.
 */
export function kubernetesTarget(config: KubernetesTargetConfig, strategy: Strategy, options: TargetOptions = {}, release?: ManifestsInput): Target {
  const ops = STRATEGIES[strategy];
  if (!ops) throw invalidInput(`unknown strategy ${String(strategy)} for the Kubernetes target`);
  const { manifests, deployment } = config;
  if (manifests) {
    if (!release) throw invalidInput(`target.manifests (${manifests.path}) needs the release it renders: the app, its commit and environment`);
    const target = { namespace: config.namespace, manifests, service: config.service, deployment };
    return manifestsTarget(connect(config, options), strategy, {
      app: release.app,
      sha: release.source.sha,
      render: (version) => renderManifests({ ...release, target, version }, { signal: options.signal }),
      // The render's own masker, for what the cluster says: a missing secret cannot appear in it.
      mask: readAppSecrets(release.appEnvironment, { requireAll: false }).mask,
    });
  }
  if (deployment === undefined) throw invalidInput('target.deployment is required unless target.manifests names the manifests to apply');
  const cluster = connect({ ...config, deployment }, options);
  return {
    prepare: async () => {
      await readDeployment(cluster, cluster.config.deployment);
    },
    versions: () => ops.versions(cluster),
    deploy: (version) => ops.deploy(cluster, version),
    setCanaryWeight: (version, weight) => ops.setCanaryWeight(cluster, version, weight),
    promote: (version) => ops.promote(cluster, version),
    retirePrevious: (version) => ops.retirePrevious(cluster, version),
    rollback: (version) => ops.rollback(cluster, version),
    // The cluster counts no requests, so the window does not apply: replicas and pods are as of now.
    snapshot: async (version) => snapshotOf(cluster, await ops.serving(cluster), version),
  };
}
