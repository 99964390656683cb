// Rendered manifests reach the cluster by server-side apply under Ferry's field manager: the API
// server merges them field by field, records Ferry as the owner of what it set, and takes over
// fields another manager set before (force), as `kubectl apply --server-side --force-conflicts`.
// What Ferry removes again is only ever what it applied itself.
import { PatchStrategy, type KubernetesObject as ApiObject } from '@kubernetes/client-node';
import type { KubernetesObject } from './render';
import { clusterError, FIELD_MANAGER, invalidInput, statusCode, type AnyCluster } from '../client';

/** What a Deployment's pods read must exist before the Deployment rolls: settings and identities first, workloads last. */
const ORDER: Record<string, number> = { ServiceAccount: 0, Secret: 1, ConfigMap: 1, PersistentVolumeClaim: 2, Service: 3, Deployment: 9 };
const rank = (object: KubernetesObject) => ORDER[object.kind] ?? 5;

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
}

export const refOf = (object: KubernetesObject): ObjectRef => ({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name });

/** Kind and name: an object keeps its identity when its apiVersion moves (extensions → apps). */
export const keyOf = (ref: { kind: string; name?: string; metadata?: { name: string } }) => `${ref.kind}/${ref.name ?? ref.metadata?.name}`;

export const describeRef = (cluster: AnyCluster, ref: ObjectRef) => cluster.where(ref.kind, ref.name);

/** Kinds every API server serves namespaced: no need to ask. */
const NAMESPACED = new Set([
  'v1/ConfigMap',
  'v1/Secret',
  'v1/Service',
  'v1/ServiceAccount',
  'v1/PersistentVolumeClaim',
  'apps/v1/Deployment',
  'batch/v1/Job',
  'batch/v1/CronJob',
  'networking.k8s.io/v1/Ingress',
  'networking.k8s.io/v1/NetworkPolicy',
  'policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'autoscaling/v1/HorizontalPodAutoscaler',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
]);

/**
 * Each object's kind is one the API server serves namespaced. The render refuses the cluster-scoped
 * kinds it knows, but a custom kind (a CRD with scope Cluster) is known only to the cluster, and
 * the client would create it cluster-wide, namespace or not.
 */
async function checkNamespaced(cluster: AnyCluster, objects: KubernetesObject[]): Promise<void> {
  for (const object of objects) {
    if (NAMESPACED.has(`${object.apiVersion}/${object.kind}`)) continue;
    const where = describeRef(cluster, refOf(object));
    let namespaced: boolean | undefined;
    try {
      namespaced = await cluster.objects.isNamespaced(object.apiVersion, object.kind);
    } catch (error) {
      if (statusCode(error) === 404) throw invalidInput(`${where}: the API server serves no ${object.apiVersion}`);
      throw clusterError(error, `asking the API server whether ${object.apiVersion} ${object.kind} is namespaced (for ${where})`);
    }
    if (namespaced === undefined) throw invalidInput(`${where}: the API server serves no kind ${object.kind} in ${object.apiVersion}`);
    if (!namespaced) {
      throw invalidInput(`${where}: the API server serves ${object.apiVersion} ${object.kind} cluster-scoped; Ferry applies namespaced objects only, in namespace ${cluster.config.namespace}`);
    }
  }
}

/**
 * Applies every object in dependency order (stable within a rank), in the target's namespace,
 * once every kind is known to be namespaced. `dryRun`: the API server validates and admits each
 * one as it would, and changes nothing.
 */
export async function applyObjects(cluster: AnyCluster, objects: KubernetesObject[], { dryRun = false } = {}): Promise<void> {
  await checkNamespaced(cluster, objects);
  const ordered = objects.map((object, i) => ({ object, i })).sort((a, b) => rank(a.object) - rank(b.object) || a.i - b.i);
  for (const { object } of ordered) await applyObject(cluster, object, dryRun);
}

async function applyObject(cluster: AnyCluster, object: KubernetesObject, dryRun: boolean): Promise<void> {
  // The live object's bookkeeping must not travel back: an apply with a resourceVersion is a conditional update.
  const { resourceVersion: _rv, uid: _uid, managedFields: _mf, creationTimestamp: _ct, generation: _g, ...metadata } = object.metadata;
  const body = { ...object, metadata: { ...metadata, namespace: cluster.config.namespace } } as ApiObject;
  try {
    await cluster.objects.patch(body, undefined, dryRun ? 'All' : undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  } catch (error) {
    throw clusterError(error, `${dryRun ? 'checking (dry run) ' : 'applying '}${describeRef(cluster, refOf(object))}`);
  }
}

/** Whether Ferry's field manager applied (part of) the live object: anything else is not Ferry's to delete. */
function appliedByFerry(live: ApiObject): boolean {
  return (live.metadata?.managedFields ?? []).some((entry) => entry.manager === FIELD_MANAGER && entry.operation === 'Apply');
}

/**
 * Deletes objects Ferry applied earlier and no longer wants; one missing already is fine, and one
 * Ferry never applied (another manager made it since) is left alone. Pods go with their
 * Deployment in the background: nothing routes to them once the Deployment is gone from the revision.
 */
export async function deleteObjects(cluster: AnyCluster, refs: ObjectRef[]): Promise<void> {
  for (const ref of refs) {
    const header = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: cluster.config.namespace } };
    try {
      const live = await cluster.objects.read(header);
      if (!appliedByFerry(live)) continue;
      await cluster.objects.delete(header, undefined, undefined, undefined, undefined, 'Background');
    } catch (error) {
      if (statusCode(error) === 404) continue;
      throw clusterError(error, `deleting ${describeRef(cluster, ref)}`);
    }
  }
}
