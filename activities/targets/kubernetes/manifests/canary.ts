// Manifests mode's canary: the twin of the rendered Deployment the target names (the new
// version's own spec, settings and all, not the live one's), sized for its weight beside the live
// Deployment as image mode's canary is, with `<service>-canary` reaching it alone. Only the new
// generated ConfigMap and Secret are applied with it (new names: the stable pods never see them);
// promote applies the whole release.
import type { V1Deployment } from '@kubernetes/client-node';
import type { TargetVersions } from '../../target';
import { canaryReplicas } from '../canary';
import { findDeployment, invalidInput, type AnyCluster } from '../client';
import { deployManifests, recordApplied, rollBackManifests, type ManifestsContext } from './rollout';
import { readRecord } from './revisions';
import { waitForRollout } from '../rollout-wait';
import { applyObjects, refOf } from './server-side-apply';
import { deleteVersionService, upsertVersionService } from '../version-services';
import { ANNOTATION, annotationOf, deleteDeployment, LABEL, replicasOf, twinOf, upsertTwin } from '../workload';

const CANARY_LABELS = { [LABEL.track]: 'canary' };
/** The version a manifests canary runs: its image alone cannot say it when several containers share a tag. */
export const VERSION_ANNOTATION = 'ferry.dev/version';

/** The Deployment of the manifests that takes the canary (the config requires it for a canary). */
export function canaryOf(cluster: AnyCluster): { stable: string; canary: string } {
  const stable = cluster.config.deployment;
  if (!stable) throw invalidInput('target.deployment must name the Deployment of the manifests that takes the canary');
  return { stable, canary: `${stable}-canary` };
}

export async function setCanaryWeight(cluster: AnyCluster, context: ManifestsContext, version: string, weight: number): Promise<void> {
  if (!Number.isFinite(weight) || weight <= 0 || weight >= 100) {
    throw invalidInput(`canary weight ${weight} is out of range: a canary step takes 1 to 99%; 100% is promote`);
  }
  const names = canaryOf(cluster);
  const record = await readRecord(cluster, context.app);
  if (record.current?.version === version) return; // already promoted: nothing runs beside it
  const rendered = await context.render(version);
  if (!record.current) {
    // Nothing runs yet to share the traffic with: the first release is applied whole.
    await deployManifests(cluster, context, version);
    return;
  }
  const source = rendered.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === names.stable);
  if (!source) throw invalidInput(`target.deployment: the manifests at ${context.sha} have no Deployment ${names.stable} (they have ${rendered.deployments.join(', ')})`);
  const generated = rendered.objects.filter(
    (o) => (o.kind === 'ConfigMap' && o.metadata.name === rendered.configMapName) || (o.kind === 'Secret' && o.metadata.name === rendered.secretName),
  );
  await recordApplied(cluster, context.app, generated.map(refOf));
  await applyObjects(cluster, generated);
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
  const result: TargetVersions = { stable: record.current?.version, previous: record.previous?.version };
  const canary = await findDeployment(cluster, canaryOf(cluster).canary);
  const canaryVersion = canary && annotationOf(canary, VERSION_ANNOTATION);
  if (canary && canaryVersion && canaryVersion !== result.stable && replicasOf(canary) > 0) {
    result.canary = { version: canaryVersion, weight: Number(annotationOf(canary, ANNOTATION.canaryWeight) ?? 0) };
  }
  return result;
}
