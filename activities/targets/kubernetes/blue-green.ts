// Blue-green: the configured Deployment is blue, and Ferry keeps a twin `<name>-green` beside it.
// The Service's selector names the live colour (ferry.dev/colour), so the switch is one patch of
// the Service and the switch back is another. Until the switch, `<service>-preview` reaches the
// idle colour alone, so analysis judges the candidate before any user does. Blue stays the user's
// own Deployment: when it is the idle colour only its image and size change; green is re-made
// from blue's spec each time it is brought up, so what the user changes on their Deployment (env,
// resources) reaches both colours.
//
// The first time, blue's pods are labelled colour=blue (a rolling restart of the same image) and
// only then is the Service pinned to blue: pinning first would leave the Service with no endpoints.
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { TargetVersions } from '../target';
import { clusterError, FIELD_MANAGER, findDeployment, invalidInput, MERGE_PATCH, patchDeployment, readDeployment, readService, type Cluster } from './client';
import { waitForRollout } from './rollout-wait';
import { waitForEndpoints } from './endpoints';
import type { Serving } from './snapshot';
import { deleteVersionService, upsertVersionService, versionServiceName } from './version-services';
import { ANNOTATION, annotationOf, containerOf, imageOf, labelSelector, LABEL, replicasOf, scaleBody, twinOf, upsertTwin } from './workload';
import { FailureType } from '../../../common/errors';

type Colour = 'blue' | 'green';

const other = (colour: Colour): Colour => (colour === 'blue' ? 'green' : 'blue');

export function colourDeployment(cluster: Cluster, colour: Colour): string {
  return colour === 'blue' ? cluster.config.deployment : `${cluster.config.deployment}-green`;
}

interface State {
  service: V1Service;
  live: Colour;
  idle: Colour;
  liveDeployment: V1Deployment;
  idleDeployment?: V1Deployment;
}

async function readState(cluster: Cluster): Promise<State> {
  const service = await readService(cluster);
  const selected = service.spec?.selector?.[LABEL.colour];
  if (selected !== undefined && selected !== 'blue' && selected !== 'green') {
    throw invalidInput(`${cluster.where('Service', cluster.config.service ?? '')} selects ${LABEL.colour}=${selected}; Ferry knows blue and green`);
  }
  // A Service not yet pinned to a colour sends its traffic to the configured Deployment: blue.
  const live: Colour = selected ?? 'blue';
  const liveName = colourDeployment(cluster, live);
  const liveDeployment = await findDeployment(cluster, liveName);
  if (!liveDeployment) {
    throw invalidInput(`${cluster.where('Service', cluster.config.service ?? '')} selects colour ${live} but ${cluster.where('Deployment', liveName)} does not exist`);
  }
  const idle = other(live);
  const idleDeployment = await findDeployment(cluster, colourDeployment(cluster, idle));
  if (idle === 'blue' && !idleDeployment) await readDeployment(cluster, cluster.config.deployment); // names the missing Deployment
  return { service, live, idle, liveDeployment, idleDeployment };
}

/** readState has read the Service: blue-green has one. */
const serviceName = (cluster: Cluster) => cluster.config.service ?? '';

async function patchService(cluster: Cluster, body: object, doing: string): Promise<void> {
  const name = serviceName(cluster);
  try {
    await cluster.core.patchNamespacedService({ name, namespace: cluster.config.namespace, body, fieldManager: FIELD_MANAGER }, MERGE_PATCH);
  } catch (error) {
    throw clusterError(error, `${doing} (${cluster.where('Service', name)})`);
  }
}

/** Labels blue's pods and pins the Service to blue, once; a Service already pinned is left alone. */
async function pinLiveColour(cluster: Cluster, state: State): Promise<void> {
  const selector = state.service.spec?.selector ?? {};
  if (selector[LABEL.colour] !== undefined) return;
  const blue = state.liveDeployment;
  const podLabels = blue.spec?.template.metadata?.labels ?? {};
  const strays = Object.entries(selector).filter(([key, value]) => podLabels[key] !== value);
  if (Object.keys(selector).length === 0 || strays.length > 0) {
    throw invalidInput(
      `${cluster.where('Service', cluster.config.service ?? '')} (selector ${labelSelector(selector) || 'none'}) does not select the pods of ${cluster.where('Deployment', cluster.config.deployment)}`,
    );
  }
  const name = colourDeployment(cluster, 'blue');
  if (podLabels[LABEL.colour] !== 'blue') {
    await patchDeployment(cluster, name, { spec: { template: { metadata: { labels: { [LABEL.colour]: 'blue' } } } } }, 'labelling its pods blue');
  }
  await waitForRollout(cluster, name);
  await patchService(cluster, { spec: { selector: { [LABEL.colour]: 'blue' } } }, 'pinning the Service to blue');
}

async function scaleTo(cluster: Cluster, colour: Colour, replicas: number, annotations: Record<string, string | null>): Promise<void> {
  const name = colourDeployment(cluster, colour);
  await patchDeployment(cluster, name, scaleBody(replicas, annotations), `scaling ${colour} to ${replicas}`);
  await waitForRollout(cluster, name);
}

/** Weight 0 is the only weight: the idle colour comes up at full size and takes no traffic yet. */
export async function bringUp(cluster: Cluster, version: string, weight: number): Promise<void> {
  if (weight !== 0) throw invalidInput(`blue-green switches all traffic at once: a colour is brought up with weight 0, not ${weight}`);
  const state = await readState(cluster);
  if (imageOf(cluster, state.liveDeployment) === version) return;
  await pinLiveColour(cluster, state);
  const name = colourDeployment(cluster, state.idle);
  const replicas = replicasOf(state.liveDeployment);
  const annotations = { [ANNOTATION.changeCause]: `ferry: bring up ${version} as ${state.idle}`, [ANNOTATION.standby]: 'candidate' };
  if (state.idle === 'green') {
    const blue = await readDeployment(cluster, colourDeployment(cluster, 'blue'));
    await upsertTwin(cluster, twinOf(cluster, blue, { name, labels: { [LABEL.colour]: 'green' }, image: version, replicas, annotations }));
  } else {
    const container = containerOf(cluster, state.idleDeployment ?? state.liveDeployment).name;
    const body = { metadata: { annotations }, spec: { replicas, template: { spec: { containers: [{ name: container, image: version }] } } } };
    await patchDeployment(cluster, name, body, `setting image ${version}`);
  }
  await waitForRollout(cluster, name);
  await upsertVersionService(cluster, 'preview', { labels: { [LABEL.colour]: state.idle }, deployment: name, version });
}

/** Switches the Service to the idle colour once it is Ready; the old colour keeps running. */
export async function promote(cluster: Cluster, version: string): Promise<void> {
  const state = await readState(cluster);
  if (imageOf(cluster, state.liveDeployment) === version) {
    // Switched already (a retried promote): still returns only once the Service has followed.
    await waitForEndpoints(cluster, serviceName(cluster), colourDeployment(cluster, state.live));
    return deleteVersionService(cluster, 'preview');
  }
  const idle = state.idleDeployment;
  const idleName = colourDeployment(cluster, state.idle);
  if (!idle || imageOf(cluster, idle) !== version || replicasOf(idle) === 0) {
    throw invalidInput(`cannot switch to ${version}: the idle colour (${cluster.where('Deployment', idleName)}) does not run it; bring it up first`);
  }
  await pinLiveColour(cluster, state);
  await waitForRollout(cluster, idleName);
  // Marked before the switch: a crash after it must not leave the old colour looking like a candidate.
  const liveName = colourDeployment(cluster, state.live);
  await patchDeployment(cluster, liveName, { metadata: { annotations: { [ANNOTATION.standby]: 'previous' } } }, 'marking the previous colour');
  await patchDeployment(cluster, idleName, { metadata: { annotations: { [ANNOTATION.standby]: null } } }, 'marking the new colour');
  await patchService(
    cluster,
    {
      metadata: {
        annotations: {
          [ANNOTATION.previousImage]: imageOf(cluster, state.liveDeployment) ?? null,
          [ANNOTATION.changeCause]: `ferry: switch to ${version} (${state.idle})`,
        },
      },
      spec: { selector: { [LABEL.colour]: state.idle } },
    },
    `switching the Service to ${state.idle}`,
  );
  await waitForEndpoints(cluster, serviceName(cluster), idleName);
  await deleteVersionService(cluster, 'preview');
}

/** Scales the old colour to zero; a no-op once the version was rolled back. */
export async function retirePrevious(cluster: Cluster, version: string): Promise<void> {
  const state = await readState(cluster);
  if (imageOf(cluster, state.liveDeployment) !== version || !state.idleDeployment) return;
  if (replicasOf(state.idleDeployment) > 0) await scaleTo(cluster, state.idle, 0, {});
}

/**
 * Live: switch back to the other colour (scaled up first when it was retired), then scale the
 * version's colour away. Idle: scale it away, the Service never pointed at it.
 */
export async function rollback(cluster: Cluster, version: string): Promise<void> {
  const state = await readState(cluster);
  const back = state.idleDeployment;
  await deleteVersionService(cluster, 'preview');
  if (imageOf(cluster, state.liveDeployment) !== version) {
    if (back && imageOf(cluster, back) === version && replicasOf(back) > 0) {
      // Switched back already (a retried rollback), or never switched: traffic is on the live colour first.
      if (state.service.spec?.selector?.[LABEL.colour] !== undefined) {
        await waitForEndpoints(cluster, serviceName(cluster), colourDeployment(cluster, state.live));
      }
      await scaleTo(cluster, state.idle, 0, { [ANNOTATION.standby]: null });
    }
    return;
  }
  const previous = back && imageOf(cluster, back);
  if (!back || previous === version) {
    throw ApplicationFailure.nonRetryable(
      `cannot roll back ${version}: the other colour (${cluster.where('Deployment', colourDeployment(cluster, state.idle))}) holds no previous version`,
      FailureType.NoPreviousVersion,
    );
  }
  await scaleTo(cluster, state.idle, Math.max(replicasOf(back), replicasOf(state.liveDeployment)), { [ANNOTATION.standby]: null });
  await patchService(
    cluster,
    {
      metadata: { annotations: { [ANNOTATION.previousImage]: null, [ANNOTATION.changeCause]: `ferry: roll back ${version}: switch back to ${previous} (${state.idle})` } },
      spec: { selector: { [LABEL.colour]: state.idle } },
    },
    `switching the Service back to ${state.idle}`,
  );
  // Only once the Service reaches the colour switched back to does the bad colour go.
  await waitForEndpoints(cluster, serviceName(cluster), colourDeployment(cluster, state.idle));
  await scaleTo(cluster, state.live, 0, { [ANNOTATION.standby]: null });
}

export async function versions(cluster: Cluster): Promise<TargetVersions> {
  const state = await readState(cluster);
  const stable = imageOf(cluster, state.liveDeployment);
  const result: TargetVersions = { stable, previous: state.service.metadata?.annotations?.[ANNOTATION.previousImage] };
  const idle = state.idleDeployment;
  const candidate = idle && imageOf(cluster, idle);
  if (idle && candidate && candidate !== stable && replicasOf(idle) > 0 && annotationOf(idle, ANNOTATION.standby) === 'candidate') {
    result.canary = { version: candidate, weight: 0 };
  }
  return result;
}

/** The idle colour first: during a blue-green deploy that is where the version under analysis runs. */
export async function serving(cluster: Cluster): Promise<Serving[]> {
  const state = await readState(cluster);
  const live = { deployment: state.liveDeployment, service: cluster.config.service };
  return state.idleDeployment ? [{ deployment: state.idleDeployment, service: versionServiceName(cluster, 'preview') }, live] : [live];
}
