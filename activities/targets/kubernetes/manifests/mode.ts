// The Kubernetes target in manifests mode: the environment's manifests from the repository at the
// promoted commit, applied whole by server-side apply, every Deployment in them watched, and
// Ferry's record of the revisions it applied kept in the namespace (revisions.ts).
import type { StrategyConfig } from '../../../../common/config-schema';
import type { Target } from '../../target';
import { invalidInput, type AnyCluster } from '../client';
import * as canary from './canary';
import { checkReleaseFits, deployManifests, rollBackManifests, type ManifestsContext } from './rollout';
import { manifestsSnapshot } from './snapshot';
import { withMaskedErrors } from './masked-errors';
import { readRecord, recordedVersions } from './revisions';
import { deploymentNames } from './render';
import { applyObjects } from './server-side-apply';

export type { ManifestsContext } from './rollout';

/**
 * Before anything changes: the manifests render (the overlay exists at the commit, every secret
 * is set on this worker), the canary's Deployment is among them, Ferry's record can keep the
 * release beside the current one, and the API server accepts every object as it would be applied
 * (each kind namespaced, and a dry run: the namespace exists, the objects are valid, the worker
 * may write them).
 */
async function prepare(cluster: AnyCluster, context: ManifestsContext, version: string, strategy: StrategyConfig['kind']): Promise<void> {
  const rendered = await context.render(version);
  const named = cluster.config.deployment;
  if (strategy === 'canary' && named && !deploymentNames(rendered.objects).includes(named)) {
    throw invalidInput(`target.deployment: the manifests at ${context.sha} (${cluster.config.manifests?.path}) have no Deployment ${named}; they have ${deploymentNames(rendered.objects).join(', ')}`);
  }
  await checkReleaseFits(cluster, context, version, rendered);
  await applyObjects(cluster, rendered.objects, { dryRun: true });
}

export function manifestsTarget(cluster: AnyCluster, strategy: StrategyConfig['kind'], context: ManifestsContext): Target {
  if (strategy === 'blue-green') throw invalidInput('blue-green is not available with target.manifests: use rolling or canary');
  const rolling = strategy === 'rolling';
  const masked = <T>(work: () => Promise<T>) => withMaskedErrors(context.mask, work);
  return {
    prepare: (version) => masked(() => prepare(cluster, context, version, strategy)),
    versions: () => masked(async () => (rolling ? recordedVersions(await readRecord(cluster, context.app)) : canary.versions(cluster, context.app))),
    deploy: (version) => masked(() => deployManifests(cluster, context, version)),
    setCanaryWeight: (version, weight) =>
      masked(async () => {
        if (rolling) throw invalidInput(`the manifests of ${cluster.config.manifests?.path} are deployed rolling: they have no canary`);
        await canary.setCanaryWeight(cluster, context, version, weight);
      }),
    promote: (version) => masked(() => (rolling ? deployManifests(cluster, context, version) : canary.promote(cluster, context, version))),
    retirePrevious: (version) =>
      masked(async () => {
        if (!rolling) await canary.retirePrevious(cluster, context, version);
      }),
    rollback: (version) => masked(() => (rolling ? rollBackManifests(cluster, context.app, version) : canary.rollback(cluster, context, version))),
    snapshot: (version) => masked(() => manifestsSnapshot(cluster, context.app, version)),
  };
}
