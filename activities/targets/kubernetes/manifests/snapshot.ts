// What the cluster says about a version in manifests mode: the canary twin while one runs it,
// otherwise every Deployment of the current revision. A release is as healthy as its least
// healthy Deployment, so a worker in a crash loop is a problem even while the web pods serve.
import type { V1Deployment } from '@kubernetes/client-node';
import { fillUrl } from '../../../../common/check-placeholders';
import type { VersionSnapshot } from '../../target';
import { findDeployment, type AnyCluster } from '../client';
import { canaryOf, VERSION_ANNOTATION } from './canary';
import { isOwnedBy, isReady, podProblems, restartsOf, workloadOf } from '../pods';
import { deploymentsIn, readRecord } from './revisions';
import { versionServiceName } from '../version-services';
import { annotationOf, replicasOf } from '../workload';

async function runningIt(cluster: AnyCluster, app: string, version: string): Promise<{ deployments: V1Deployment[]; service?: string }> {
  if (cluster.config.deployment) {
    const canary = await findDeployment(cluster, canaryOf(cluster).canary);
    if (canary && annotationOf(canary, VERSION_ANNOTATION) === version && replicasOf(canary) > 0) {
      return { deployments: [canary], service: versionServiceName(cluster, 'canary') };
    }
  }
  const record = await readRecord(cluster, app);
  if (record.current?.version !== version) return { deployments: [] };
  const found = await Promise.all(deploymentsIn(record.current).map((name) => findDeployment(cluster, name)));
  return { deployments: found.filter((d): d is V1Deployment => d !== undefined), service: cluster.config.service };
}

export async function manifestsSnapshot(cluster: AnyCluster, app: string, version: string): Promise<VersionSnapshot> {
  const snapshot: VersionSnapshot = { version, replicas: { desired: 0, ready: 0, restarts: 0 }, problems: [] };
  const { deployments, service } = await runningIt(cluster, app, version);
  const where = `namespace ${cluster.config.namespace} (context ${cluster.config.context})`;
  if (deployments.length === 0) {
    snapshot.problems.push(`${version} is not running in ${where}`);
    return snapshot;
  }
  if (service) snapshot.service = service;
  if (cluster.config.url) snapshot.baseUrl = fillUrl(cluster.config.url, { version, environment: '', service });
  const counts = { desired: 0, ready: 0, restarts: 0 };
  for (const deployment of deployments) {
    // Mid-rollout a Deployment still has pods of the revision before: only its current template's count.
    const workload = await workloadOf(cluster, deployment);
    const pods = workload.pods.filter((pod) => isOwnedBy(pod, workload.current));
    const desired = replicasOf(deployment);
    const ready = pods.filter(isReady).length;
    counts.desired += desired;
    counts.ready += ready;
    counts.restarts += restartsOf(pods);
    snapshot.problems.push(...podProblems(pods));
    if (desired > 0 && ready === 0) snapshot.problems.push(`no ready replica of ${version} in Deployment ${deployment.metadata?.name} (${desired} wanted) in ${where}`);
  }
  snapshot.replicas = counts;
  return snapshot;
}
