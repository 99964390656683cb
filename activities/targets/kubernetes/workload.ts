// What Ferry writes on Deployments and Services, and the Deployments it makes beside the configured
// one. Every fact Ferry needs again (previous image, canary weight, live colour) lives in the
// cluster, not in the worker, so a restarted worker picks up where the last one stopped.
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { clusterError, FIELD_MANAGER, findDeployment, invalidInput, statusCode, throwIfAborted, type AnyCluster } from './client';

export const ANNOTATION = {
  /** Shown by `kubectl rollout history`: the ReplicaSet copies it from the Deployment. */
  changeCause: 'kubernetes.io/change-cause',
  /** The image the Deployment ran before Ferry's last change: what rollback puts back. */
  previousImage: 'ferry.dev/previous-image',
  /** The weight a canary Deployment was sized for (its replicas alone cannot say it). */
  canaryWeight: 'ferry.dev/canary-weight',
  /** On a blue-green colour that is not live: `candidate` (being brought up) or `previous` (kept for a switch back). */
  standby: 'ferry.dev/standby',
} as const;

export const LABEL = {
  /** On canary pods, so they can be told from the stable ones while both serve the same Service. */
  track: 'ferry.dev/track',
  /** On blue-green pods and in the Service's selector: the switch is a change of this value. */
  colour: 'ferry.dev/colour',
} as const;

export function replicasOf(deployment: V1Deployment): number {
  // The API server defaults a missing replicas to 1.
  return deployment.spec?.replicas ?? 1;
}

export function annotationOf(deployment: { metadata?: { annotations?: Record<string, string> } }, key: string): string | undefined {
  return deployment.metadata?.annotations?.[key];
}

/** The container whose image is the version: the configured one, or the first. */
export function containerOf(cluster: AnyCluster, deployment: V1Deployment): V1Container {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  const wanted = cluster.config.container;
  const found = wanted === undefined ? containers[0] : containers.find((c) => c.name === wanted);
  if (!found) {
    const name = deployment.metadata?.name ?? cluster.config.deployment ?? '?';
    const has = containers.map((c) => c.name).join(', ') || 'none';
    const missing = wanted === undefined ? 'containers' : `container ${wanted}`;
    throw invalidInput(`${cluster.where('Deployment', name)} has no ${missing} (it has ${has})`);
  }
  return found;
}

export function imageOf(cluster: AnyCluster, deployment: V1Deployment): string | undefined {
  return containerOf(cluster, deployment).image;
}

/** Equality selectors only: what a label selector query string and a Service selector can express. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

export interface TwinSpec {
  name: string;
  /** Added to the pod labels and the selector, so the twin's pods are its own. */
  labels: Record<string, string>;
  /** The version's image for the source's container; absent when the source already runs it (rendered manifests). */
  image?: string;
  replicas: number;
  annotations: Record<string, string>;
}

/**
 * A Deployment that runs like `source` (same pod spec, same labels, so the Service that selects
 * the source's pods selects the twin's too) but with its own image, size and extra labels.
 * The source's selector matches the twin's pods as well; that is safe because ReplicaSets only
 * count the pods they own (controller references), which is how Kubernetes' own canary recipe works.
 */
export function twinOf(cluster: AnyCluster, source: V1Deployment, twin: TwinSpec): V1Deployment {
  const spec = structuredClone(source.spec);
  if (!spec) throw invalidInput(`${cluster.where('Deployment', source.metadata?.name ?? '?')} has no spec`);
  spec.replicas = twin.replicas;
  spec.selector = { ...spec.selector, matchLabels: { ...spec.selector.matchLabels, ...twin.labels } };
  spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, ...twin.labels } };
  const wanted = containerOf(cluster, source).name;
  spec.template.spec?.containers.forEach((container) => {
    if (container.name === wanted && twin.image !== undefined) container.image = twin.image;
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: twin.name,
      namespace: cluster.config.namespace,
      labels: { ...source.metadata?.labels, ...twin.labels },
      annotations: twin.annotations,
    },
    spec,
  };
}

/** The API server hands labels back sorted by key, whatever order they were sent in. */
function canonicalSelector(deployment: V1Deployment): string {
  const selector = deployment.spec?.selector;
  const labels = Object.entries(selector?.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([labels, selector?.matchExpressions ?? []]);
}

function sameSelector(a: V1Deployment, b: V1Deployment): boolean {
  return canonicalSelector(a) === canonicalSelector(b);
}

/**
 * Creates the twin, or replaces the one there. A replaced twin whose pod template is unchanged
 * keeps its pods (only its size changes); a selector cannot be changed, so a twin whose selector
 * no longer fits (the source's changed) is deleted and made anew.
 */
export async function upsertTwin(cluster: AnyCluster, desired: V1Deployment): Promise<void> {
  const name = desired.metadata?.name ?? '';
  const namespace = cluster.config.namespace;
  const where = cluster.where('Deployment', name);
  try {
    const existing = await findDeployment(cluster, name);
    // One left being deleted (an earlier removal that did not finish) is waited out, then made anew.
    if (existing && isBeingDeleted(existing)) await untilGone(cluster, name, existing);
    else if (existing && sameSelector(existing, desired)) {
      const body = { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion } };
      await cluster.apps.replaceNamespacedDeployment({ name, namespace, body, fieldManager: FIELD_MANAGER });
      return;
    } else if (existing) await deleteDeployment(cluster, name);
    await cluster.apps.createNamespacedDeployment({ namespace, body: desired, fieldManager: FIELD_MANAGER });
  } catch (error) {
    throw clusterError(error, `writing ${where}`);
  }
}

/**
 * Deletes a Deployment Ferry made and returns once it and its pods are gone: foreground deletion
 * keeps the Deployment until its ReplicaSets and pods are deleted, so no pod of it still serves
 * (and a create of the same name does not meet a 409).
 */
export async function deleteDeployment(cluster: AnyCluster, name: string): Promise<void> {
  let deployment: V1Deployment | undefined;
  try {
    deployment = await findDeployment(cluster, name);
    if (!deployment) return;
    await cluster.apps.deleteNamespacedDeployment({ name, namespace: cluster.config.namespace, propagationPolicy: 'Foreground' });
  } catch (error) {
    if (statusCode(error) === 404) return;
    throw clusterError(error, `deleting ${cluster.where('Deployment', name)}`);
  }
  await untilGone(cluster, name, deployment);
}

function isBeingDeleted(deployment: V1Deployment): boolean {
  return deployment.metadata?.deletionTimestamp !== undefined && deployment.metadata.deletionTimestamp !== null;
}

/** Its pods take up to their termination grace period to stop; the wait allows that and a minute more. */
async function untilGone(cluster: AnyCluster, name: string, deployment: V1Deployment): Promise<void> {
  const graceSeconds = deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30;
  const giveUpAt = Date.now() + (graceSeconds + 60) * 1_000;
  while (await findDeployment(cluster, name)) {
    if (Date.now() > giveUpAt) throw new Error(`${cluster.where('Deployment', name)} is still being deleted after ${graceSeconds + 60}s`);
    throwIfAborted(cluster.signal);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Sizes a Deployment Ferry manages (canary, colour), recording why beside it. */
export function scaleBody(replicas: number, annotations: Record<string, string | null> = {}): object {
  return { metadata: { annotations }, spec: { replicas } };
}
