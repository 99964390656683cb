// Rolling: the configured Deployment's image is the version. The image it replaced is kept in an
// annotation, so rollback needs nothing but the cluster, and `kubectl rollout history` says why.
import { ApplicationFailure } from '@temporalio/common';
import { patchDeployment, readDeployment, type Cluster } from './client';
import { waitForRollout } from './rollout-wait';
import { ANNOTATION, annotationOf, containerOf } from './workload';
import { FailureType } from '../../../common/errors';

/** Marks which version a rollback took out, so a retried rollback still waits for its rollout. */
const ROLLED_BACK = 'ferry.dev/rolled-back';

/** Sets `version` on the Deployment and waits for it; returns the image it replaced. */
export async function rollTo(cluster: Cluster, name: string, version: string, cause: string): Promise<{ previous?: string }> {
  const deployment = await readDeployment(cluster, name);
  const container = containerOf(cluster, deployment);
  let previous = container.image;
  if (container.image === version) {
    // A repeated deploy: the image it replaced was recorded the first time.
    previous = annotationOf(deployment, ANNOTATION.previousImage);
  } else {
    // Strategic merge matches containers by name, so other containers and fields stay as they are.
    await patchDeployment(
      cluster,
      name,
      {
        metadata: { annotations: { [ANNOTATION.changeCause]: cause, [ANNOTATION.previousImage]: container.image ?? null, [ROLLED_BACK]: null } },
        spec: { template: { spec: { containers: [{ name: container.name, image: version }] } } },
      },
      `setting image ${version}`,
    );
  }
  await waitForRollout(cluster, name);
  return { previous };
}

/** Puts the recorded previous image back when `version` runs; otherwise there is nothing to undo. */
export async function rollBack(cluster: Cluster, name: string, version: string): Promise<void> {
  const deployment = await readDeployment(cluster, name);
  const container = containerOf(cluster, deployment);
  if (container.image !== version) {
    if (annotationOf(deployment, ROLLED_BACK) === version) await waitForRollout(cluster, name);
    return;
  }
  const previous = annotationOf(deployment, ANNOTATION.previousImage);
  if (!previous) {
    // Retrying cannot make the annotation appear; the saga should report it rather than spin.
    throw ApplicationFailure.nonRetryable(
      `cannot roll back ${version}: ${cluster.where('Deployment', name)} has no ${ANNOTATION.previousImage} annotation saying what ran before it`,
      FailureType.NoPreviousVersion,
    );
  }
  await patchDeployment(
    cluster,
    name,
    {
      // The previous image is spent: rolling back twice must not swap the two versions back and forth.
      metadata: {
        annotations: {
          [ANNOTATION.changeCause]: `ferry: roll back ${version} to ${previous}`,
          [ANNOTATION.previousImage]: null,
          [ROLLED_BACK]: version,
        },
      },
      spec: { template: { spec: { containers: [{ name: container.name, image: previous }] } } },
    },
    `rolling back to ${previous}`,
  );
  await waitForRollout(cluster, name);
}
