// The kustomization Ferry wraps around the environment's manifests: it takes the overlay (or the
// plain manifests) as its resources and adds what the environment decides — the namespace, the
// artifact's image, the variables and secrets as generated objects, Ferry's label. It lives in a
// private temp folder, secrets in files only its owner can read, removed after the build.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { processStartTime } from '../../../../process-group';
import type { ImageReference } from './artifact';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'ferry' } as const;
/** On the generated ConfigMap and Secret, so they are told from anything else in the manifests. */
export const GENERATED_ANNOTATION = 'ferry.dev/generated';

/** Where plain manifests are copied, inside the wrapping folder (kustomize reads files only from inside it). */
export const PLAIN_FOLDER = 'manifests';

export type ManifestsSource = { kind: 'kustomization'; dir: string } | { kind: 'plain'; files: string[] };

export interface WrappingSpec {
  manifests: ManifestsSource;
  namespace: string;
  /** The image name the manifests use, and what it becomes. */
  image: { name: string; artifact: ImageReference };
  configMap: { name: string; data: Record<string, string> };
  secret?: { name: string; data: Record<string, string> };
}

/**
 * Named like worktree.ts's folders (`ferry-…-w<pid>_<start>-XXXXXX`), so a worker killed during
 * a render leaves no secret files for long: the next checkout on this machine removes them.
 */
function folderPrefix(): string {
  return path.join(os.tmpdir(), `ferry-render-w${process.pid}_${processStartTime(process.pid) ?? 0}-`);
}

/** One file per key, its content the value exactly (newlines, quotes and all), readable by the worker alone. */
async function writeValues(root: string, folder: string, data: Record<string, string>): Promise<string[]> {
  await fs.mkdir(path.join(root, folder), { mode: 0o700 });
  const sources: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    await fs.writeFile(path.join(root, folder, key), value, { mode: 0o600, flag: 'wx' });
    sources.push(`${key}=${folder}/${key}`);
  }
  return sources;
}

async function resourcesOf(root: string, manifests: ManifestsSource): Promise<string[]> {
  // kustomize takes another kustomization by a relative path only, and files from inside its own folder only.
  if (manifests.kind === 'kustomization') return [path.relative(root, await fs.realpath(manifests.dir))];
  await fs.mkdir(path.join(root, 'manifests'), { mode: 0o700 });
  // One folder's files: their names are unique, and kept so kustomize's errors name them.
  return Promise.all(
    manifests.files.map(async (file) => {
      const copy = `${PLAIN_FOLDER}/${path.basename(file)}`;
      await fs.copyFile(file, path.join(root, copy));
      return copy;
    }),
  );
}

/** Writes the wrapping kustomization; returns its folder and how to remove it. */
export async function writeWrapping(spec: WrappingSpec): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.realpath(await fs.mkdtemp(folderPrefix()));
  const remove = () => fs.rm(dir, { recursive: true, force: true });
  try {
    const { artifact } = spec.image;
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: await resourcesOf(dir, spec.manifests),
      namespace: spec.namespace,
      images: [
        {
          name: spec.image.name,
          newName: artifact.name,
          ...(artifact.tag ? { newTag: artifact.tag } : {}),
          ...(artifact.digest ? { digest: artifact.digest } : {}),
        },
      ],
      configMapGenerator: [
        {
          name: spec.configMap.name,
          files: await writeValues(dir, 'variables', spec.configMap.data),
          options: { annotations: { [GENERATED_ANNOTATION]: 'variables' } },
        },
      ],
      ...(spec.secret
        ? {
            secretGenerator: [
              {
                name: spec.secret.name,
                type: 'Opaque',
                files: await writeValues(dir, 'secrets', spec.secret.data),
                options: { annotations: { [GENERATED_ANNOTATION]: 'secrets' } },
              },
            ],
          }
        : {}),
      // Labels only: selectors are immutable, and a changed one would orphan the running pods.
      labels: [{ pairs: MANAGED_BY, includeSelectors: false, includeTemplates: false }],
    };
    await fs.writeFile(path.join(dir, 'kustomization.yaml'), YAML.stringify(kustomization), { mode: 0o600 });
    return { dir, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
