// Waits until a Service reaches exactly the ready pods of one Deployment, as its EndpointSlices say.
// The EndpointSlice controller follows a change a moment later; an analysis or a switch that went
// ahead before it would check an empty Service (or the old colour's pods).
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { clusterError, readDeployment, throwIfAborted, type AnyCluster } from './client';
import { isOwnedBy, isReady, workloadOf } from './pods';

const POLL_MS = 250;
const GIVE_UP_MS = 60_000;

/** The pods a Service's EndpointSlices list as ready, by name. */
export async function endpointPods(cluster: AnyCluster, service: string): Promise<string[]> {
  let slices: V1EndpointSlice[];
  try {
    slices = (await cluster.discovery.listNamespacedEndpointSlice({ namespace: cluster.config.namespace, labelSelector: `kubernetes.io/service-name=${service}` })).items;
  } catch (error) {
    throw clusterError(error, `listing the EndpointSlices of ${cluster.where('Service', service)}`);
  }
  // A dual-stack Service has a slice per IP family, each listing every pod: names, once each.
  const names = slices
    .flatMap((slice) => slice.endpoints ?? [])
    .filter((endpoint) => endpoint.conditions?.ready !== false && endpoint.targetRef?.kind === 'Pod')
    .map((endpoint) => endpoint.targetRef?.name ?? '');
  return [...new Set(names)].sort();
}

async function readyPods(cluster: AnyCluster, deployment: string): Promise<string[]> {
  const workload = await workloadOf(cluster, await readDeployment(cluster, deployment));
  return workload.pods
    .filter((pod) => isOwnedBy(pod, workload.current) && isReady(pod))
    .map((pod) => pod.metadata?.name ?? '')
    .sort();
}

export async function waitForEndpoints(cluster: AnyCluster, service: string, deployment: string): Promise<void> {
  const giveUpAt = Date.now() + GIVE_UP_MS;
  for (;;) {
    const [listed, wanted] = await Promise.all([endpointPods(cluster, service), readyPods(cluster, deployment)]);
    if (wanted.length > 0 && listed.join() === wanted.join()) return;
    if (Date.now() > giveUpAt) {
      throw new Error(
        `${cluster.where('Service', service)} does not reach exactly the ready pods of Deployment ${deployment} after ${GIVE_UP_MS / 1000}s: ` +
          `its EndpointSlices list [${listed.join(', ')}], the Deployment has [${wanted.join(', ')}]`,
      );
    }
    throwIfAborted(cluster.signal);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
