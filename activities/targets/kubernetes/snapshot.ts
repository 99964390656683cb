// What the cluster itself says about one version, beside HTTP and Prometheus checks: how many of its
// replicas are ready, how often they restarted, and the waiting reasons that mean it is broken.
import type { V1Deployment } from '@kubernetes/client-node';
import type { VersionSnapshot } from '../target';
import type { Cluster } from './client';
import { podProblems, podsOf, restartsOf } from './pods';
import { containerOf, replicasOf } from './workload';

/** Sums over every Deployment running `version` with replicas (right after a promote that is two). */
export async function snapshotOf(cluster: Cluster, deployments: V1Deployment[], version: string): Promise<VersionSnapshot> {
  const snapshot: VersionSnapshot = { version, replicas: { desired: 0, ready: 0, restarts: 0 }, problems: [] };
  if (cluster.config.url) snapshot.baseUrl = cluster.config.url;
  const running = deployments.filter((d) => containerOf(cluster, d).image === version && replicasOf(d) > 0);
  if (running.length === 0) {
    snapshot.problems.push(`${version} is not running in namespace ${cluster.config.namespace} (context ${cluster.config.context})`);
    return snapshot;
  }
  const counts = snapshot.replicas ?? { desired: 0, ready: 0, restarts: 0 };
  for (const deployment of running) {
    const container = containerOf(cluster, deployment).name;
    // A Deployment mid-rollout still has pods of the version before; only this version's count.
    const pods = (await podsOf(cluster, deployment)).filter((pod) =>
      pod.spec?.containers.some((c) => c.name === container && c.image === version),
    );
    counts.desired += replicasOf(deployment);
    counts.ready += pods.filter((pod) => !pod.metadata?.deletionTimestamp && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    counts.restarts += restartsOf(pods);
    snapshot.problems.push(...podProblems(pods));
  }
  if (counts.desired > 0 && counts.ready === 0) {
    snapshot.problems.push(`no ready replica of ${version} (${counts.desired} wanted) in namespace ${cluster.config.namespace}`);
  }
  return snapshot;
}
