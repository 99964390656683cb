// Manifests mode's canary: the twin of the rendered Deployment the target names (the new
// version's own spec, settings and all, not the live one's), sized for its weight beside the live
// Deployment as image mode's canary is, with `<service>-canary` reaching it alone. What the twin may
// read is applied with it when it is new to the namespace (a generated ConfigMap or Secret, the
// overlay's own hashed ones, a new ServiceAccount or claim): a new name, so the stable pods never
// see it. Objects that exist already, workloads, and whatever routes to or acts on pods by label
// wait for promote, which applies the whole release: changed now, they would change the stable version.
import type { V1Deployment } from '@kubernetes/client-node';
import type { TargetVersions } from '../../target';
import { canaryReplicas } from '../canary';
import { findDeployment, invalidInput, type AnyCluster } from '../client';
import { deployManifests, recordApplied, rollBackManifests, type ManifestsContext } from './rollout';
import { readRecord, recordedVersions } from './revisions';
import { deploymentNames } from './render';
import { canaryTwinName } from '../own-names';
import { waitForRollout } from '../rollout-wait';
import { applyObjects, keyOf, refOf } from './server-side-apply';
import { deleteVersionService, upsertVersionService } from '../version-services';
import { ANNOTATION, annotationOf, deleteDeployment, LABEL, replicasOf, twinOf, upsertTwin } from '../workload';

const CANARY_LABELS = { [LABEL.track]: 'canary' };
/** Kinds that run pods, or route to, scale, guard or fence them: new or not, they wait for promote. */
const WAITS_FOR_PROMOTE = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'Pod',
  'Service',
  'Ingress',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'NetworkPolicy',
]);
/** The version a manifests canary runs: its image alone cannot say it when several containers share a tag. */
export const VERSION_ANNOTATION = 'ferry.dev/version';

/** The Deployment of the manifests that takes the canary (the config requires it for a canary). */
export function canaryOf(cluster: AnyCluster): { stable: string; canary: string } {
  const stable = cluster.config.deployment;
  if (!stable) throw invalidInput('target.deployment must name the Deployment of the manifests that takes the canary');
  return { stable, canary: canaryTwinName(stable) };
}

export async function setCanaryWeight(cluster: AnyCluster, context: ManifestsContext, version: string, weight: number): Promise<void> {
  if (!Number.isFinite(weight) || weight <= 0 || weight >= 100) {
    throw invalidInput(`canary weight ${weight} is out of range: a canary step takes 1 to 99%; 100% is promote`);
  }
  const names = canaryOf(cluster);
  const record = await readRecord(cluster, context.app);
  if (record.current?.version === version) return; // already promoted: nothing runs beside it
  const rendered = await context.render(version);
  if (!record.current || record.current.adopted) {
    // Nothing of Ferry's runs yet to share the traffic with: the first release is applied whole.
    await deployManifests(cluster, context, version);
    return;
  }
  const source = rendered.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === names.stable);
  if (!source) throw invalidInput(`target.deployment: the manifests at ${context.sha} have no Deployment ${names.stable} (they have ${deploymentNames(rendered.objects).join(', ')})`);
  const applied = new Set(record.current.objects.map(keyOf));
  const added = rendered.objects.filter((o) => !WAITS_FOR_PROMOTE.has(o.kind) && !applied.has(keyOf(o)));
  // Recorded first: a rollback removes them even when the worker dies mid-apply.
  await recordApplied(cluster, context.app, added.map(refOf));
  await applyObjects(cluster, added);
  const live = await findDeployment(cluster, names.stable);
  const desired = twinOf(cluster, source as unknown as V1Deployment, {
    name: names.canary,
    labels: CANARY_LABELS,
    replicas: canaryReplicas(live ? replicasOf(live) : 0, weight),
    annotations: {
      [ANNOTATION.changeCause]: `ferry: canary ${version} at ${weight}%`,
      [ANNOTATION.canaryWeight]: String(weight),
      [VERSION_ANNOTATION]: version,
    },
  });
  await upsertTwin(cluster, desired);
  await waitForRollout(cluster, names.canary);
  await upsertVersionService(cluster, 'canary', { labels: CANARY_LABELS, deployment: names.canary, version });
}

async function removeCanary(cluster: AnyCluster): Promise<void> {
  await deleteVersionService(cluster, 'canary');
  await deleteDeployment(cluster, canaryOf(cluster).canary);
}

/** The whole release applied and watched while the canary still serves; then the canary goes. */
export async function promote(cluster: AnyCluster, context: ManifestsContext, version: string): Promise<void> {
  // A retried promote is a repeated deploy: it keeps the recorded previous revision and converges.
  await deployManifests(cluster, context, version);
  await removeCanary(cluster);
}

export async function retirePrevious(cluster: AnyCluster, context: ManifestsContext, version: string): Promise<void> {
  if ((await readRecord(cluster, context.app)).current?.version === version) await removeCanary(cluster);
}

/** Before promote the canary is taken out; after it, the previous revision comes back whole. */
export async function rollback(cluster: AnyCluster, context: ManifestsContext, version: string): Promise<void> {
  const canary = await findDeployment(cluster, canaryOf(cluster).canary);
  if (!canary || annotationOf(canary, VERSION_ANNOTATION) === version) await removeCanary(cluster);
  await rollBackManifests(cluster, context.app, version);
}

export async function versions(cluster: AnyCluster, app: string): Promise<TargetVersions> {
  const record = await readRecord(cluster, app);
  const result: TargetVersions = recordedVersions(record);
  const canary = await findDeployment(cluster, canaryOf(cluster).canary);
  const canaryVersion = canary && annotationOf(canary, VERSION_ANNOTATION);
  if (canary && canaryVersion && canaryVersion !== result.stable && replicasOf(canary) > 0) {
    result.canary = { version: canaryVersion, weight: Number(annotationOf(canary, ANNOTATION.canaryWeight) ?? 0) };
  }
  return result;
}
