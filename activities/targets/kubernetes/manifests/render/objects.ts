// What kustomize printed, as the objects Ferry applies: parsed, checked (namespaced, in the
// target's namespace, at least one Deployment, the artifact in some container), the generated
// ConfigMap and Secret wired into every container of every Deployment, and summed up in a digest.
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { z } from 'zod';
import { imageString, parseImage, type ImageReference } from './artifact';
import { GENERATED_ANNOTATION } from './wrapping';

export const objectSchema = z.looseObject({
  apiVersion: z.string().min(1).max(253),
  kind: z.string().min(1).max(253),
  metadata: z.looseObject({
    name: z.string().min(1).max(253),
    namespace: z.string().min(1).max(63).optional(),
  }),
});

export type KubernetesObject = z.infer<typeof objectSchema> & {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
};

/**
 * Cluster-scoped kinds, for those kustomize does not know (it gives them the namespace like any
 * other: ValidatingAdmissionPolicy, DeviceClass…); those it knows it leaves without a namespace.
 */
const CLUSTER_SCOPED = new Set([
  'APIService',
  'CSIDriver',
  'CSINode',
  'CertificateSigningRequest',
  'ClusterTrustBundle',
  'ClusterRole',
  'ClusterRoleBinding',
  'ComponentStatus',
  'CustomResourceDefinition',
  'DeviceClass',
  'FlowSchema',
  'IPAddress',
  'IngressClass',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'ResourceSlice',
  'RuntimeClass',
  'ServiceCIDR',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
  'VolumeAttributesClass',
]);

/** A problem with the manifests; the caller says where (path and commit). */
export class ManifestsProblem extends Error {}

export function parseObjects(yaml: string): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  for (const document of YAML.parseAllDocuments(yaml)) {
    if (document.errors.length > 0) throw new ManifestsProblem(`kustomize printed YAML that does not parse: ${document.errors[0].message.slice(0, 300)}`);
    const value: unknown = document.toJSON();
    if (value === null || value === undefined) continue;
    const parsed = objectSchema.safeParse(value);
    if (!parsed.success) throw new ManifestsProblem(`an object has no apiVersion, kind or metadata.name: ${parsed.error.issues[0].path.join('.')} ${parsed.error.issues[0].message}`);
    objects.push(parsed.data as KubernetesObject);
  }
  return objects;
}

const described = (object: KubernetesObject) => `${object.kind} ${object.metadata.name}`;

type Record_ = Record<string, unknown>;
const isRecord = (value: unknown): value is Record_ => typeof value === 'object' && value !== null && !Array.isArray(value);
const at = (value: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), value);

/** The pod spec inside an object that runs pods, as a live reference into it. */
function podSpecOf(object: KubernetesObject): Record_ | undefined {
  const spec = object.kind === 'Pod' ? object.spec : object.kind === 'CronJob' ? at(object, 'spec', 'jobTemplate', 'spec', 'template', 'spec') : at(object, 'spec', 'template', 'spec');
  return isRecord(spec) ? spec : undefined;
}

function containersOf(podSpec: Record_ | undefined): Record_[] {
  if (!podSpec) return [];
  return [podSpec.containers, podSpec.initContainers].flatMap((list) => (Array.isArray(list) ? list.filter(isRecord) : []));
}

/** Namespaced, and in the target's namespace: Ferry's Role is the namespace's, and so is its claim. */
export function checkScope(objects: KubernetesObject[], namespace: string): void {
  for (const object of objects) {
    if (CLUSTER_SCOPED.has(object.kind) || object.metadata.namespace === undefined) {
      throw new ManifestsProblem(`${described(object)} is cluster-scoped: Ferry applies namespaced objects only, in namespace ${namespace}`);
    }
    if (object.metadata.namespace !== namespace) {
      throw new ManifestsProblem(`${described(object)} is in namespace ${object.metadata.namespace}, not the target's namespace ${namespace}`);
    }
  }
}

/**
 * Workloads that run for good but that Ferry neither rolls out nor watches: one in a crash loop
 * would pass the deploy and the analysis unseen, and a rollback could not wait for it. Jobs and
 * CronJobs run to completion on their own schedule: they are applied and not watched.
 */
const UNWATCHED_WORKLOADS = new Set(['StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Pod']);

export function checkWorkloads(objects: KubernetesObject[]): void {
  const unwatched = objects.find((object) => UNWATCHED_WORKLOADS.has(object.kind));
  if (unwatched) {
    throw new ManifestsProblem(
      `${described(unwatched)} is a workload Ferry neither rolls out nor watches: Ferry rolls out and watches Deployments (and applies Jobs and CronJobs without watching them); make it a Deployment`,
    );
  }
}

export function deploymentsOf(objects: KubernetesObject[]): KubernetesObject[] {
  return objects.filter((object) => object.kind === 'Deployment' && object.apiVersion === 'apps/v1');
}

/** The names of the Deployments among `objects`: what a rollout waits for. */
export const deploymentNames = (objects: KubernetesObject[]): string[] => deploymentsOf(objects).map((deployment) => deployment.metadata.name);

/**
 * Whether the artifact reached a container: kustomize rewrites only the images named as the
 * manifests name them, and silently leaves the rest, so a misnamed image would ship nothing.
 */
export function checkImageUsed(objects: KubernetesObject[], lookedFor: string, artifact: ImageReference): void {
  const seen = new Set<string>();
  for (const object of objects) for (const container of containersOf(podSpecOf(object))) if (typeof container.image === 'string') seen.add(container.image);
  // Without a tag or digest the manifests' own tag stays, so only the name can be compared.
  const reached = [...seen].some((image) => (artifact.tag || artifact.digest ? image === imageString(artifact) : parseImage(image).name === artifact.name));
  if (reached) return;
  const images = [...seen].slice(0, 10).join(', ') || 'none';
  throw new ManifestsProblem(
    `no container uses the image ${lookedFor}, so the artifact would reach none (the manifests' images: ${images}); set target.manifests.image to the image name the manifests use`,
  );
}

export function generatedName(objects: KubernetesObject[], kind: 'ConfigMap' | 'Secret', what: 'variables' | 'secrets'): string | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.annotations?.[GENERATED_ANNOTATION] === what)?.metadata.name;
}

/**
 * Adds the generated ConfigMap and Secret to the envFrom of every container (and init container)
 * of every Deployment, after the manifests' own entries (so Ferry's values win over theirs; a
 * container's `env` still wins over both), unless the container already references them.
 */
export function wireEnvironment(deployments: KubernetesObject[], configMapName: string, secretName: string | undefined): void {
  for (const deployment of deployments) {
    for (const container of containersOf(podSpecOf(deployment))) {
      const envFrom = Array.isArray(container.envFrom) ? (container.envFrom as unknown[]) : [];
      const references = (key: string, name: string) => envFrom.some((source) => at(source, key, 'name') === name);
      if (!references('configMapRef', configMapName)) envFrom.push({ configMapRef: { name: configMapName } });
      if (secretName && !references('secretRef', secretName)) envFrom.push({ secretRef: { name: secretName } });
      container.envFrom = envFrom;
    }
  }
}

/**
 * The worker's secrets left out (the generated Secret's values): its name carries kustomize's hash
 * of them, so a change still shows. Secrets written in the manifests count with their values,
 * which the repository holds anyway.
 */
export function digestOf(objects: KubernetesObject[]): string {
  const withoutValues = objects.map((object) => {
    if (object.kind !== 'Secret' || object.metadata.annotations?.[GENERATED_ANNOTATION] !== 'secrets') return object;
    const blank = (data: unknown) => (isRecord(data) ? Object.fromEntries(Object.keys(data).map((key) => [key, ''])) : data);
    return { ...object, data: blank(object.data), stringData: blank(object.stringData) };
  });
  return createHash('sha256').update(JSON.stringify(withoutValues)).digest('hex').slice(0, 16);
}
