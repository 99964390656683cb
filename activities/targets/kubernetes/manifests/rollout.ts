// Manifests mode, rolling: every object of the release applied, every Deployment of it watched,
// and the revision record in the cluster saying what was applied before, so a rollback puts back
// all of it (settings, Secrets, Services, each Deployment) and removes what the release added.
// The record is written before the cluster changes: a worker that dies mid-apply leaves a record a
// retried deploy or a rollback can finish from.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../../common/errors';
import type { AnyCluster } from '../client';
import type { Masker } from '../../../secret-masking';
import { readLive } from './adopt';
import type { RenderedManifests } from './render';
import { checkRecordFits, deploymentsIn, generatedIn, readRecord, recordName, writeRecord, type Revision, type RevisionRecord } from './revisions';
import { waitForRollout } from '../rollout-wait';
import { applyObjects, deleteObjects, keyOf, refOf, type ObjectRef } from './server-side-apply';

export interface ManifestsContext {
  app: string;
  /** The commit the manifests came from, kept in the record. */
  sha: string;
  /** Renders the environment's manifests for a version (the artifact's image set). */
  render(version: string): Promise<RenderedManifests>;
  /** Masks the environment's secrets, in every form, in what the target throws. */
  mask: Masker;
}

export function revisionOf(version: string, sha: string, rendered: RenderedManifests): Revision {
  return { version, sha, digest: rendered.digest, objects: rendered.objects };
}

const refsOf = (revision: Revision | undefined): ObjectRef[] => (revision?.objects ?? []).map(refOf);

/**
 * Everything the record names that the new current revision does not apply, except the previous
 * revision's generated ConfigMap and Secret: its ReplicaSets still name them, so `kubectl rollout
 * undo` keeps working. Only objects Ferry applied are ever in the record.
 */
export function pruneFor(before: RevisionRecord, next: Pick<RevisionRecord, 'current' | 'previous'>, extra: ObjectRef[] = []): ObjectRef[] {
  const keep = new Set([...refsOf(next.current).map(keyOf), ...generatedIn(next.previous)]);
  const found = new Map<string, ObjectRef>();
  for (const ref of [...before.prune, ...refsOf(before.previous), ...refsOf(before.current), ...extra]) {
    if (!keep.has(keyOf(ref))) found.set(keyOf(ref), ref);
  }
  return [...found.values()];
}

/** Applies the current revision, waits for each of its Deployments, then removes what it left behind. */
export async function rollOut(cluster: AnyCluster, app: string, record: RevisionRecord): Promise<void> {
  const current = record.current;
  if (!current) return;
  await applyObjects(cluster, current.objects);
  // All are applied before the first wait, so they roll out side by side; the first that fails
  // (a worker in a crash loop) fails the deploy with its name, and the saga rolls back all of them.
  for (const deployment of deploymentsIn(current)) await waitForRollout(cluster, deployment);
  if (record.prune.length > 0) {
    await deleteObjects(cluster, record.prune);
    await writeRecord(cluster, app, { ...record, prune: [] });
  }
}

/**
 * What ran before Ferry's first deploy in the namespace: each object the deploy is about to apply,
 * as it is live now. A rollback re-applies these and, as always, removes what the rolled-back
 * revision applied and the restored one lacks: here, every object that did not exist before.
 */
async function adoptedRevision(cluster: AnyCluster, revision: Revision): Promise<Revision> {
  return { version: 'what ran before Ferry', sha: '', digest: '', objects: await readLive(cluster, revision.objects), adopted: true };
}

/** A repeated deploy of the same version keeps the recorded previous one, and converges on the render. */
export async function deployManifests(cluster: AnyCluster, context: ManifestsContext, version: string): Promise<void> {
  const revision = revisionOf(version, context.sha, await context.render(version));
  const before = await readRecord(cluster, context.app);
  const previous = before.current?.version === version ? before.previous : (before.current ?? (await adoptedRevision(cluster, revision)));
  const next: RevisionRecord = { current: revision, previous, prune: [] };
  next.prune = pruneFor(before, next);
  checkRecordFits(cluster, context.app, next, manifestsAt(cluster, context));
  await writeRecord(cluster, context.app, next);
  await rollOut(cluster, context.app, next);
}

/** "target.manifests.path k8s/overlays/dev at commit abc1234: ", to lead an error about the release's manifests. */
export const manifestsAt = (cluster: AnyCluster, context: Pick<ManifestsContext, 'sha'>) => `target.manifests.path ${cluster.config.manifests?.path} at commit ${context.sha.slice(0, 7)}: `;

/**
 * Before anything changes: the record a deploy of `rendered` would write (it as current, what is
 * current now before it) can be written and read back. A first deploy keeps what the namespace
 * held instead, which only the deploy reads; writeRecord checks that one.
 */
export async function checkReleaseFits(cluster: AnyCluster, context: ManifestsContext, version: string, rendered: RenderedManifests): Promise<void> {
  const before = await readRecord(cluster, context.app);
  const previous = before.current?.version === version ? before.previous : before.current;
  checkRecordFits(cluster, context.app, { current: revisionOf(version, context.sha, rendered), previous, prune: [] }, manifestsAt(cluster, context));
}

/**
 * Puts the previous revision back when `version` is the current one, removing what `version`
 * added; the previous revision is spent, so rolling back twice does not swap the two back and
 * forth. A retried rollback (`version` already taken out) converges on the restored revision again.
 */
export async function rollBackManifests(cluster: AnyCluster, app: string, version: string): Promise<void> {
  const before = await readRecord(cluster, app);
  if (before.current?.version !== version) {
    if (before.rolledBack === version) await rollOut(cluster, app, before);
    else if (before.prune.length > 0) {
      // What an undone canary step applied (its generated ConfigMap and Secret) goes too.
      await deleteObjects(cluster, before.prune);
      await writeRecord(cluster, app, { ...before, prune: [] });
    }
    return;
  }
  const restored = before.previous;
  if (!restored) {
    throw ApplicationFailure.nonRetryable(
      `cannot roll back ${version}: Ferry's record ${cluster.where('Secret', recordName(app))} holds no revision that ran before it`,
      FailureType.NoPreviousVersion,
    );
  }
  const next: RevisionRecord = { current: restored, previous: undefined, rolledBack: version, prune: [] };
  next.prune = pruneFor(before, next);
  await writeRecord(cluster, app, next);
  await rollOut(cluster, app, next);
}

/** Adds objects applied outside a revision (a canary step's ConfigMap and Secret) to what a rollback removes. */
export async function recordApplied(cluster: AnyCluster, app: string, refs: ObjectRef[]): Promise<void> {
  const record = await readRecord(cluster, app);
  const known = new Set([...refsOf(record.current), ...record.prune].map(keyOf));
  const added = refs.filter((ref) => !known.has(keyOf(ref)));
  if (added.length > 0) await writeRecord(cluster, app, { ...record, prune: [...record.prune, ...added] });
}
