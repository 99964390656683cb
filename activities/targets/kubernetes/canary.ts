// Canary without a service mesh: a second Deployment `<name>-canary` runs the new version with the
// stable's pod labels (plus ferry.dev/track=canary), so the same Service sends it a share of the
// requests in proportion to its pods. The stable Deployment is never resized.
import type { V1Deployment } from '@kubernetes/client-node';
import type { TargetVersions } from '../target';
import { findDeployment, invalidInput, patchDeployment, readDeployment, type Cluster } from './client';
import { rollBack, rollTo } from './rolling';
import { waitForRollout } from './rollout-wait';
import { ANNOTATION, annotationOf, imageOf, LABEL, replicasOf, scaleBody, twinOf, upsertTwin } from './workload';

export const canaryName = (cluster: Cluster) => `${cluster.config.deployment}-canary`;

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
    labels: { [LABEL.track]: 'canary' },
    image: version,
    replicas: canaryReplicas(replicasOf(stable), weight),
    annotations: {
      [ANNOTATION.changeCause]: `ferry: canary ${version} at ${weight}%`,
      [ANNOTATION.canaryWeight]: String(weight),
    },
  });
  await upsertTwin(cluster, desired);
  await waitForRollout(cluster, name);
}

async function scaleCanaryToZero(cluster: Cluster): Promise<void> {
  const name = canaryName(cluster);
  const canary = await findDeployment(cluster, name);
  if (!canary) return;
  if (replicasOf(canary) > 0) {
    await patchDeployment(cluster, name, scaleBody(0, { [ANNOTATION.canaryWeight]: '0' }), 'scaling the canary to zero');
  }
  await waitForRollout(cluster, name);
}

/** The stable Deployment rolls to the version (the canary keeps serving meanwhile), then the canary goes. */
export async function promote(cluster: Cluster, version: string): Promise<void> {
  await rollTo(cluster, cluster.config.deployment, version, `ferry: promote canary ${version}`);
  await scaleCanaryToZero(cluster);
}

/** Promote already scaled the canary away; this only makes sure, for a promote that crashed halfway. */
export async function retirePrevious(cluster: Cluster, version: string): Promise<void> {
  const stable = await readDeployment(cluster, cluster.config.deployment);
  if (imageOf(cluster, stable) === version) await scaleCanaryToZero(cluster);
}

/** Before promote, the canary is taken out; after it, the stable rolls back too. */
export async function rollback(cluster: Cluster, version: string): Promise<void> {
  const canary = await findDeployment(cluster, canaryName(cluster));
  if (canary && imageOf(cluster, canary) === version) await scaleCanaryToZero(cluster);
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

/** The Deployments that may run a version: the canary's pods first, then the stable's. */
export async function deploymentsFor(cluster: Cluster): Promise<V1Deployment[]> {
  const canary = await findDeployment(cluster, canaryName(cluster));
  const stable = await readDeployment(cluster, cluster.config.deployment);
  return canary ? [canary, stable] : [stable];
}
