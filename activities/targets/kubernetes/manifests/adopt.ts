// Ferry's first deploy in a namespace may land on objects that are already there (an environment
// that ran in image mode, or was applied by hand), which server-side apply with force takes over.
// What they were is read first and kept as the revision before, so rolling back that deploy puts
// them back (and removes what did not exist, as any rollback removes what the revision added).
import type { KubernetesObject as ApiObject } from '@kubernetes/client-node';
import type { KubernetesObject } from './render';
import { clusterError, statusCode, type AnyCluster } from '../client';
import { describeRef, refOf } from './server-side-apply';

/** Set by the cluster, not by whoever applied the object: applied back, they would only conflict or mislead. */
const BOOKKEEPING = ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
const BOOKKEEPING_ANNOTATIONS = ['deployment.kubernetes.io/revision'];

/** The live object as one would apply it: without status and the cluster's bookkeeping. */
export function asApplied(live: ApiObject): KubernetesObject {
  const { status: _status, ...object } = live as ApiObject & { status?: unknown };
  const metadata: Record<string, unknown> = { ...live.metadata };
  for (const key of BOOKKEEPING) delete metadata[key];
  const annotations = { ...live.metadata?.annotations };
  for (const key of BOOKKEEPING_ANNOTATIONS) delete annotations[key];
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { ...object, metadata } as KubernetesObject;
}

/** Of the objects about to be applied, those that exist, as they are now. */
export async function readLive(cluster: AnyCluster, objects: KubernetesObject[]): Promise<KubernetesObject[]> {
  const live: KubernetesObject[] = [];
  for (const object of objects) {
    const ref = refOf(object);
    try {
      live.push(asApplied(await cluster.objects.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: cluster.config.namespace } })));
    } catch (error) {
      if (statusCode(error) !== 404) throw clusterError(error, `reading ${describeRef(cluster, ref)} (what it was before Ferry's first deploy)`);
    }
  }
  return live;
}
