// Canary without a service mesh: a second Deployment `<name>-canary` runs the new version with the
// stable's pod labels (plus ferry.dev/track=canary), so the same Service sends it a share of the
// requests in proportion to its pods, and `<service>-canary` reaches its pods alone for analysis.
// The stable Deployment is never resized. Promote and rollback delete both: nothing is left over.
import type { TargetVersions } from '../target';
import { findDeployment, invalidInput, readDeployment, type Cluster } from './client';
import { canaryTwinName } from './own-names';
import { rollBack, rollTo } from './rolling';
import { waitForRollout } from './rollout-wait';
import type { Serving } from './snapshot';
import { deleteVersionService, upsertVersionService, versionServiceName } from './version-services';
import { ANNOTATION, annotationOf, deleteDeployment, imageOf, LABEL, replicasOf, twinOf, upsertTwin } from './workload';

const CANARY_LABELS = { [LABEL.track]: 'canary' };

export const canaryName = (cluster: Cluster) => canaryTwinName(cluster.config.deployment);

/**
 * A Service spreads requests evenly over its ready endpoints, so with S stable pods (left as they
 * are) and C canary pods the canary gets C / (S + C) of the traffic. Solving for a weight w%:
 *
 *     C = S · w / (100 − w), rounded up, and at least 1
 *
 * Rounding up because a canary with too few pods would see too little traffic to judge. The
 * share is only as fine as the pod count allows: S = 4 gives 1 pod (20%) for 10% and 20%, 4 pods
 * for 50%, 12 for 75%. Keeping S fixed means a canary step never takes capacity from the stable
 * version and undoing it is only a scale-down.
 */
export function canaryReplicas(stableReplicas: number, weight: number): number {
  return Math.max(1, Math.ceil((stableReplicas * weight) / (100 - weight)));
}

export async function setCanaryWeight(cluster: Cluster, version: string, weight: number): Promise<void> {
  if (!Number.isFinite(weight) || weight <= 0 || weight >= 100) {
    throw invalidInput(`canary weight ${weight} is out of range: a canary step takes 1 to 99%; 100% is promote`);
  }
  const stable = await readDeployment(cluster, cluster.config.deployment);
  if (imageOf(cluster, stable) === version) return; // already promoted: nothing runs beside it
  const name = canaryName(cluster);
  const desired = twinOf(cluster, stable, {
    name,
    labels: CANARY_LABELS,
    image: version,
    replicas: canaryReplicas(replicasOf(stable), weight),
    annotations: {
      [ANNOTATION.changeCause]: `ferry: canary ${version} at ${weight}%`,
      [ANNOTATION.canaryWeight]: String(weight),
    },
  });
  await upsertTwin(cluster, desired);
  await waitForRollout(cluster, name);
  await upsertVersionService(cluster, 'canary', { labels: CANARY_LABELS, deployment: name, version });
}

/** The analysis Service first, so nothing is aimed at pods on their way out. */
async function removeCanary(cluster: Cluster): Promise<void> {
  await deleteVersionService(cluster, 'canary');
  await deleteDeployment(cluster, canaryName(cluster));
}

/** The stable Deployment rolls to the version (the canary keeps serving meanwhile), then the canary goes. */
export async function promote(cluster: Cluster, version: string): Promise<void> {
  await rollTo(cluster, cluster.config.deployment, version, `ferry: promote canary ${version}`);
  await removeCanary(cluster);
}

/** Promote already removed the canary; this only makes sure, for a promote that crashed halfway. */
export async function retirePrevious(cluster: Cluster, version: string): Promise<void> {
  const stable = await readDeployment(cluster, cluster.config.deployment);
  if (imageOf(cluster, stable) === version) await removeCanary(cluster);
}

/** Before promote, the canary is taken out; after it, the stable rolls back too. */
export async function rollback(cluster: Cluster, version: string): Promise<void> {
  const canary = await findDeployment(cluster, canaryName(cluster));
  if (!canary || imageOf(cluster, canary) === version) await removeCanary(cluster);
  await rollBack(cluster, cluster.config.deployment, version);
}

export async function versions(cluster: Cluster): Promise<TargetVersions> {
  const stable = await readDeployment(cluster, cluster.config.deployment);
  const canary = await findDeployment(cluster, canaryName(cluster));
  const stableImage = imageOf(cluster, stable);
  const result: TargetVersions = { stable: stableImage, previous: annotationOf(stable, ANNOTATION.previousImage) };
  const canaryImage = canary && imageOf(cluster, canary);
  if (canary && canaryImage && canaryImage !== stableImage && replicasOf(canary) > 0) {
    result.canary = { version: canaryImage, weight: Number(annotationOf(canary, ANNOTATION.canaryWeight) ?? 0) };
  }
  return result;
}

/** The Deployments that may run a version, each with the Service that reaches it alone: the canary first. */
export async function serving(cluster: Cluster): Promise<Serving[]> {
  const canary = await findDeployment(cluster, canaryName(cluster));
  const stable = { deployment: await readDeployment(cluster, cluster.config.deployment), service: cluster.config.service };
  return canary ? [{ deployment: canary, service: versionServiceName(cluster, 'canary') }, stable] : [stable];
}
