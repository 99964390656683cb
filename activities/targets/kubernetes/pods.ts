// The pods of one Deployment and what is visibly wrong with them. Selectors overlap (a canary's
// pods carry the stable's labels), so pods are found through owner references, not labels alone.
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { clusterError, type Cluster } from './client';
import { labelSelector } from './workload';

/** Waiting reasons that do not cure themselves: the version is broken or cannot start. */
const BROKEN_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

export async function podsOf(cluster: Cluster, deployment: V1Deployment): Promise<V1Pod[]> {
  const namespace = cluster.config.namespace;
  const name = deployment.metadata?.name ?? '';
  const selector = labelSelector(deployment.spec?.selector.matchLabels ?? {});
  try {
    const sets = await cluster.apps.listNamespacedReplicaSet({ namespace, labelSelector: selector });
    const owned = new Set(
      sets.items
        .filter((rs) => rs.metadata?.ownerReferences?.some((ref) => ref.controller && ref.uid === deployment.metadata?.uid))
        .map((rs) => rs.metadata?.uid),
    );
    const pods = await cluster.core.listNamespacedPod({ namespace, labelSelector: selector });
    return pods.items.filter((pod) => pod.metadata?.ownerReferences?.some((ref) => ref.controller && owned.has(ref.uid)));
  } catch (error) {
    throw clusterError(error, `listing the pods of ${cluster.where('Deployment', name)}`);
  }
}

export function restartsOf(pods: V1Pod[]): number {
  return pods.flatMap((pod) => pod.status?.containerStatuses ?? []).reduce((sum, status) => sum + status.restartCount, 0);
}

/** One line per broken fact, naming the pod: a crash loop, an image that cannot be pulled, no node. */
export function podProblems(pods: V1Pod[]): string[] {
  const problems: string[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '?';
    if (pod.metadata?.deletionTimestamp) continue;
    const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
    if (unschedulable) problems.push(`pod ${name} cannot be scheduled: ${unschedulable.message ?? 'Unschedulable'}`);
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const status of statuses) {
      const waiting = status.state?.waiting;
      if (waiting?.reason && BROKEN_WAITING.has(waiting.reason)) {
        const detail = waiting.message ? `: ${waiting.message.slice(0, 300)}` : '';
        problems.push(`pod ${name} container ${status.name}: ${waiting.reason}${detail} (${status.restartCount} restarts)`);
      }
    }
  }
  return problems;
}
