// Services that reach exactly one version, so analysis judges that version and not the mix:
// `<service>-canary` selects only the canary's pods, `<service>-preview` only the idle colour's (the
// roles of Argo Rollouts' canaryService and previewService). Ferry makes them, with the main
// Service's ports, when a version comes up beside the stable one, and deletes them when it goes.
import type { V1Service } from '@kubernetes/client-node';
import { clusterError, FIELD_MANAGER, invalidInput, readDeployment, readService, statusCode, type AnyCluster } from './client';
import { waitForEndpoints } from './endpoints';
import { versionServiceNameOf, type VersionServiceRole } from './own-names';
import { ANNOTATION } from './workload';

export type { VersionServiceRole } from './own-names';

/** Marks a Service as Ferry's, so it is never mistaken for (or deletes) one of the user's. */
const ROLE = 'ferry.dev/role';

export function versionServiceName(cluster: AnyCluster, role: VersionServiceRole): string | undefined {
  return cluster.config.service && versionServiceNameOf(cluster.config.service, role);
}

/**
 * Creates or updates the role's Service: `deployment`'s selector with `labels` over it, and
 * returns once it reaches exactly the ready pods of `deployment`. No-op without a main Service
 * (there is nothing to copy ports from, and nothing the checks could reach).
 */
export async function upsertVersionService(
  cluster: AnyCluster,
  role: VersionServiceRole,
  { labels, deployment, version }: { labels: Record<string, string>; deployment: string; version: string },
): Promise<void> {
  const name = versionServiceName(cluster, role);
  if (!name) return;
  const main = await readService(cluster);
  // The Deployment's own selector, not the main Service's: the Service reaches its pods whatever
  // the main Service selects (another app's canary carries the same track label).
  const selector = { ...(await readDeployment(cluster, deployment)).spec?.selector.matchLabels, ...labels };
  const body: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: cluster.config.namespace,
      // Not the main Service's labels: tools that select by them (Argo CD's tracking, a
      // ServiceMonitor) would take Ferry's short-lived Service for part of the app.
      labels: { [ROLE]: role, 'app.kubernetes.io/managed-by': 'ferry' },
      annotations: { [ANNOTATION.changeCause]: `ferry: ${role} Service for ${version}` },
    },
    spec: {
      type: 'ClusterIP',
      selector,
      // Ports as the main Service has them, without what a NodePort or LoadBalancer allocated.
      ports: (main.spec?.ports ?? []).map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol, appProtocol: p.appProtocol })),
    },
  };
  const where = cluster.where('Service', name);
  try {
    const existing = await findService(cluster, name);
    if (existing && existing.metadata?.labels?.[ROLE] !== role) {
      throw invalidInput(`${where} exists and is not Ferry's (no ${ROLE}=${role} label): rename it or the target's service`);
    }
    if (existing) {
      // clusterIP is immutable: the replaced spec keeps the one the API server gave.
      const spec = { ...body.spec, clusterIP: existing.spec?.clusterIP, clusterIPs: existing.spec?.clusterIPs };
      const metadata = { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion };
      await cluster.core.replaceNamespacedService({ name, namespace: cluster.config.namespace, body: { ...body, spec, metadata }, fieldManager: FIELD_MANAGER });
    } else {
      await cluster.core.createNamespacedService({ namespace: cluster.config.namespace, body, fieldManager: FIELD_MANAGER });
    }
  } catch (error) {
    throw clusterError(error, `writing ${where}`);
  }
  await waitForEndpoints(cluster, name, deployment);
}

export async function deleteVersionService(cluster: AnyCluster, role: VersionServiceRole): Promise<void> {
  const name = versionServiceName(cluster, role);
  if (!name) return;
  const existing = await findService(cluster, name);
  if (!existing || existing.metadata?.labels?.[ROLE] !== role) return;
  try {
    await cluster.core.deleteNamespacedService({ name, namespace: cluster.config.namespace });
  } catch (error) {
    if (statusCode(error) !== 404) throw clusterError(error, `deleting ${cluster.where('Service', name)}`);
  }
}

async function findService(cluster: AnyCluster, name: string): Promise<V1Service | undefined> {
  try {
    return await cluster.core.readNamespacedService({ name, namespace: cluster.config.namespace });
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw clusterError(error, `reading ${cluster.where('Service', name)}`);
  }
}
