// What the cluster itself says about one version, beside HTTP and Prometheus checks: how many of its
// replicas are ready, how often they restarted, the waiting reasons that mean it is broken, and the
// Service (and so the address) that reaches it alone.
import type { V1Deployment } from '@kubernetes/client-node';
import { fillUrl } from '../../../common/check-placeholders';
import type { VersionSnapshot } from '../target';
import type { Cluster } from './client';
import { podProblems, podsOf, restartsOf } from './pods';
import { containerOf, replicasOf } from './workload';

/** A Deployment that may run a version, and the Service that reaches its pods and no others. */
export interface Serving {
  deployment: V1Deployment;
  service?: string;
}

/** Sums over every Deployment running `version` with replicas (right after a promote that is two). */
export async function snapshotOf(cluster: Cluster, serving: Serving[], version: string): Promise<VersionSnapshot> {
  const snapshot: VersionSnapshot = { version, replicas: { desired: 0, ready: 0, restarts: 0 }, problems: [] };
  const running = serving.filter(({ deployment }) => containerOf(cluster, deployment).image === version && replicasOf(deployment) > 0);
  if (running.length === 0) {
    snapshot.problems.push(`${version} is not running in namespace ${cluster.config.namespace} (context ${cluster.config.context})`);
    return snapshot;
  }
  // The first is the one that runs the version alone (canary, preview colour) while there is one.
  const service = running[0].service;
  if (service) snapshot.service = service;
  if (cluster.config.url) snapshot.baseUrl = fillUrl(cluster.config.url, { version, environment: '', service });
  const counts = snapshot.replicas ?? { desired: 0, ready: 0, restarts: 0 };
  for (const { deployment } of running) {
    const container = containerOf(cluster, deployment).name;
    // A Deployment mid-rollout still has pods of the version before; only this version's count.
    const pods = (await podsOf(cluster, deployment)).filter((pod) => pod.spec?.containers.some((c) => c.name === container && c.image === version));
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
