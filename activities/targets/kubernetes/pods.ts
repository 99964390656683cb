// The ReplicaSets and pods of one Deployment and what is visibly wrong with them. Selectors overlap
// (a canary's pods carry the stable's labels), so they are found through owner references, not
// labels alone.
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { clusterError, type AnyCluster } from './client';
import { labelSelector } from './workload';

/** Waiting reasons that do not cure themselves: the version is broken or cannot start. */
const BROKEN_WAITING = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/** The Deployment controller numbers its templates; the ReplicaSet with the Deployment's number is the new one. */
const REVISION = 'deployment.kubernetes.io/revision';

export interface Workload {
  sets: V1ReplicaSet[];
  /** The ReplicaSet of the Deployment's current template, once the controller made it. */
  current?: V1ReplicaSet;
  pods: V1Pod[];
}

const ownedBy = (uid: string | undefined) => (o: { metadata?: { ownerReferences?: { controller?: boolean; uid: string }[] } }) =>
  uid !== undefined && (o.metadata?.ownerReferences?.some((ref) => ref.controller && ref.uid === uid) ?? false);

export async function workloadOf(cluster: AnyCluster, deployment: V1Deployment): Promise<Workload> {
  const namespace = cluster.config.namespace;
  const selector = labelSelector(deployment.spec?.selector.matchLabels ?? {});
  try {
    const sets = (await cluster.apps.listNamespacedReplicaSet({ namespace, labelSelector: selector })).items.filter(ownedBy(deployment.metadata?.uid));
    const revision = deployment.metadata?.annotations?.[REVISION];
    const current = revision === undefined ? undefined : sets.find((rs) => rs.metadata?.annotations?.[REVISION] === revision);
    const uids = new Set(sets.map((rs) => rs.metadata?.uid));
    const pods = (await cluster.core.listNamespacedPod({ namespace, labelSelector: selector })).items.filter((pod) =>
      pod.metadata?.ownerReferences?.some((ref) => ref.controller && uids.has(ref.uid)),
    );
    return { sets, current, pods };
  } catch (error) {
    throw clusterError(error, `listing the pods of ${cluster.where('Deployment', deployment.metadata?.name ?? '')}`);
  }
}

export async function podsOf(cluster: AnyCluster, deployment: V1Deployment): Promise<V1Pod[]> {
  return (await workloadOf(cluster, deployment)).pods;
}

export function isOwnedBy(pod: V1Pod, set: V1ReplicaSet | undefined): boolean {
  return ownedBy(set?.metadata?.uid)(pod);
}

export function isTerminating(pod: V1Pod): boolean {
  return pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
}

export function isReady(pod: V1Pod): boolean {
  return !isTerminating(pod) && (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
}

export function restartsOf(pods: V1Pod[]): number {
  return pods.flatMap((pod) => pod.status?.containerStatuses ?? []).reduce((sum, status) => sum + status.restartCount, 0);
}

/** One line per broken fact, naming the pod: a crash loop, an image that cannot be pulled, no node. */
export function podProblems(pods: V1Pod[]): string[] {
  const problems: string[] = [];
  for (const pod of pods) {
    if (isTerminating(pod)) continue;
    const name = pod.metadata?.name ?? '?';
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
