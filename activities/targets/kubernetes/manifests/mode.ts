// The Kubernetes target in manifests mode: the environment's manifests from the repository at the
// promoted commit, applied whole by server-side apply, every Deployment in them watched, and
// Ferry's record of the revisions it applied kept in the namespace (revisions.ts).
import type { StrategyConfig } from '../../../../common/config-schema';
import type { Target } from '../../target';
import { invalidInput, type AnyCluster } from '../client';
import * as canary from './canary';
import { deployManifests, rollBackManifests, type ManifestsContext } from './rollout';
import { manifestsSnapshot } from './snapshot';
import { readRecord } from './revisions';
import { applyObjects } from './server-side-apply';

export type { ManifestsContext } from './rollout';

/**
 * Before anything changes: the manifests render (the overlay exists at the commit, every secret
 * is set on this worker), the canary's Deployment is among them, and the API server accepts every
 * object as it would be applied (a dry run: the namespace exists, the objects are valid, the
 * worker may write them).
 */
async function prepare(cluster: AnyCluster, context: ManifestsContext, version: string, strategy: StrategyConfig['kind']): Promise<void> {
  const rendered = await context.render(version);
  const named = cluster.config.deployment;
  if (strategy === 'canary' && named && !rendered.deployments.includes(named)) {
    throw invalidInput(`target.deployment: the manifests at ${context.sha} (${cluster.config.manifests?.path}) have no Deployment ${named}; they have ${rendered.deployments.join(', ')}`);
  }
  await applyObjects(cluster, rendered.objects, { dryRun: true });
}

export function manifestsTarget(cluster: AnyCluster, strategy: StrategyConfig['kind'], context: ManifestsContext): Target {
  if (strategy === 'blue-green') throw invalidInput('blue-green is not available with target.manifests: use rolling or canary');
  const rolling = strategy === 'rolling';
  return {
    prepare: (version) => prepare(cluster, context, version, strategy),
    versions: async () => {
      if (!rolling) return canary.versions(cluster, context.app);
      const record = await readRecord(cluster, context.app);
      return { stable: record.current?.version, previous: record.previous?.version };
    },
    deploy: (version) => deployManifests(cluster, context, version),
    setCanaryWeight: async (version, weight) => {
      if (rolling) throw invalidInput(`the manifests of ${cluster.config.manifests?.path} are deployed rolling: they have no canary`);
      await canary.setCanaryWeight(cluster, context, version, weight);
    },
    promote: (version) => (rolling ? deployManifests(cluster, context, version) : canary.promote(cluster, context, version)),
    retirePrevious: async (version) => {
      if (!rolling) await canary.retirePrevious(cluster, context, version);
    },
    rollback: (version) => (rolling ? rollBackManifests(cluster, context.app, version) : canary.rollback(cluster, context, version)),
    snapshot: (version) => manifestsSnapshot(cluster, context.app, version),
  };
}
