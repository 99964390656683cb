// What manifests mode applied in an environment, kept in the environment's own namespace so a
// worker that restarts (or another worker) knows it: the current revision and the one before,
// each with every object as applied. A Secret, because the objects include the generated Secret's
// values; gzipped, because a Secret holds at most 1 MiB.
import { gunzipSync, gzipSync } from 'node:zlib';
import { PatchStrategy, type KubernetesObject as ApiObject, type V1Secret } from '@kubernetes/client-node';
import { z } from 'zod';
import type { KubernetesObject } from './render';
import { deploymentNames, objectSchema } from './render/objects';
import { GENERATED_ANNOTATION } from './render/wrapping';
import { recordName } from '../own-names';

export { recordName };
import { clusterError, FIELD_MANAGER, invalidInput, statusCode, type AnyCluster } from '../client';

// Which Deployments a revision rolls out and which of its objects are generated follow from its
// objects (their kind, and Ferry's annotation), so the record does not say them again. Records
// written before kept `deployments` and `generated` beside them; those keys are dropped on reading.
/** Objects a revision may hold: what readRecord takes back, and so what writeRecord writes. */
const MAX_OBJECTS = 2_000;

const revisionSchema = z.object({
  version: z.string().min(1).max(1_000),
  sha: z.string().max(64),
  digest: z.string().max(200),
  objects: z.array(objectSchema).max(MAX_OBJECTS),
  /**
   * What the cluster held before Ferry's first deploy in the namespace, as read then: a rollback
   * of that deploy puts it back. It is no version Ferry deployed, so no version is reported for it.
   */
  adopted: z.boolean().optional(),
});

const recordSchema = z.object({
  current: revisionSchema.optional(),
  previous: revisionSchema.optional(),
  /** Set by a rollback: the version it took out, so a retried rollback converges instead of doing nothing. */
  rolledBack: z.string().max(1_000).optional(),
  /** Objects Ferry applied and the current revision lacks: deleted once it is rolled out. */
  prune: z
    .array(z.object({ apiVersion: z.string().max(253), kind: z.string().max(253), name: z.string().max(253) }))
    .max(4_000)
    .default([]),
});

export type Revision = Omit<z.infer<typeof revisionSchema>, 'objects'> & { objects: KubernetesObject[] };
export type RevisionRecord = Omit<z.infer<typeof recordSchema>, 'current' | 'previous'> & { current?: Revision; previous?: Revision };

/** The names of the Deployments a revision rolls out. */
export const deploymentsIn = (revision: Revision | undefined): string[] => deploymentNames(revision?.objects ?? []);

/** `ConfigMap/<name>`, `Secret/<name>` of the generated objects, whose names change with their content. */
export const generatedIn = (revision: Revision | undefined): string[] =>
  (revision?.objects ?? []).filter((o) => o.metadata.annotations?.[GENERATED_ANNOTATION] !== undefined).map((o) => `${o.kind}/${o.metadata.name}`);

/** The versions the record knows, as a target reports them: what ran before Ferry has none. */
export function recordedVersions(record: RevisionRecord): { stable?: string; previous?: string } {
  const versionOf = (revision: Revision | undefined) => (revision && !revision.adopted ? revision.version : undefined);
  return { stable: versionOf(record.current), previous: versionOf(record.previous) };
}

const KEY = 'record.json.gz';
/** The API server refuses a Secret over 1 MiB; some room for its metadata. */
const MAX_BYTES = 1_000_000;
/** What a record may unpack to: far more than two revisions of any real manifests, far less than a gzip bomb makes. */
const MAX_UNPACKED = 16 << 20;

export async function readRecord(cluster: AnyCluster, app: string): Promise<RevisionRecord> {
  const name = recordName(app);
  let secret: V1Secret;
  try {
    secret = await cluster.core.readNamespacedSecret({ name, namespace: cluster.config.namespace });
  } catch (error) {
    if (statusCode(error) === 404) return { prune: [] };
    throw clusterError(error, `reading ${cluster.where('Secret', name)}`);
  }
  const data = secret.data?.[KEY];
  if (!data) throw invalidInput(`${cluster.where('Secret', name)} has no ${KEY}: it is not Ferry's record of what it applied`);
  let json: string;
  try {
    json = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_UNPACKED }).toString('utf8');
  } catch (error) {
    const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw invalidInput(
      tooLarge
        ? `${cluster.where('Secret', name)} unpacks to more than ${MAX_UNPACKED >> 20} MiB: it is not a record Ferry wrote`
        : `${cluster.where('Secret', name)} does not hold a record Ferry can read (${error instanceof Error ? error.message.slice(0, 300) : 'unreadable'})`,
    );
  }
  try {
    return recordSchema.parse(JSON.parse(json)) as RevisionRecord;
  } catch (error) {
    throw invalidInput(`${cluster.where('Secret', name)} does not hold a record Ferry can read (${error instanceof Error ? error.message.slice(0, 300) : 'unreadable'})`);
  }
}

const mebibytes = (bytes: number) => `${(bytes / (1 << 20)).toFixed(1)} MiB`;

/**
 * Why `record` cannot be kept, or undefined: a record is written only if readRecord takes it back
 * (its objects, and what it unpacks to) and a Secret holds it, so a deploy never leaves one that
 * fails every later versions, deploy and rollback. The sentence follows "Ferry's record … ".
 */
function whyRecordTooLarge(record: RevisionRecord): { problem: string; packed?: undefined } | { problem?: undefined; packed: string } {
  for (const [which, revision] of [
    ['this release', record.current],
    ['the one before', record.previous],
  ] as const) {
    if (revision && revision.objects.length > MAX_OBJECTS) {
      return { problem: `cannot keep ${which}: ${which} holds ${revision.objects.length} objects, over the 2,000 a revision of Ferry's record keeps` };
    }
  }
  const json = JSON.stringify(record);
  const unpacked = Buffer.byteLength(json);
  if (unpacked > MAX_UNPACKED) {
    return {
      problem: `would unpack to ${mebibytes(unpacked)} with this release and the one before, over the ${MAX_UNPACKED >> 20} MiB Ferry reads back: the manifests are too large to keep two revisions of`,
    };
  }
  const packed = gzipSync(json).toString('base64');
  if (packed.length > MAX_BYTES) {
    return { problem: `would take ${packed.length} bytes, over the ${MAX_BYTES} a Secret can hold: the manifests are too large to keep two revisions of` };
  }
  return { packed };
}

/** Throws, before anything changes, when `record` could not be written or read back; `where` says which manifests. */
export function checkRecordFits(cluster: AnyCluster, app: string, record: RevisionRecord, where: string): void {
  const { problem } = whyRecordTooLarge(record);
  if (problem) throw invalidInput(`${where}Ferry's record of what it applied (${cluster.where('Secret', recordName(app))}) ${problem}`);
}

export async function writeRecord(cluster: AnyCluster, app: string, record: RevisionRecord): Promise<void> {
  const name = recordName(app);
  const { problem, packed } = whyRecordTooLarge(record);
  if (problem !== undefined) throw invalidInput(`Ferry's record of what it applied (${cluster.where('Secret', name)}) ${problem}`);
  const body: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name,
      namespace: cluster.config.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'ferry', 'ferry.dev/record': 'revisions' },
    },
    data: { [KEY]: packed },
  };
  try {
    await cluster.objects.patch(body as ApiObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  } catch (error) {
    throw clusterError(error, `writing ${cluster.where('Secret', name)}`);
  }
}
