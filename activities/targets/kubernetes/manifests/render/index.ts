// Manifests mode's first half: the environment's manifests in the repository at the promoted
// commit, rendered by kustomize into the exact objects to apply — the artifact's image set, the
// environment's variables and secrets as a generated ConfigMap and Secret (content-hashed names,
// so each version keeps its own and a rollback gets back exactly what it ran with) that every
// container of every Deployment reads, and everything in the target's namespace.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { AppEnvironment } from '../../../../../common/app-environment';
import type { SourceRef } from '../../../../../common/activity-contracts';
import { FailureType } from '../../../../../common/errors';
import { activitySignal } from '../../../../git';
import { checkVariableName, readAppSecrets } from '../../../../app-secrets';
import type { Masker } from '../../../../secret-masking';
import { withWorktree } from '../../../../worktree';
import { parseImage } from './artifact';
import { findKustomize, kustomizeBuild } from './kustomize';
import { checkOwnNames } from './reserved';
import { checkImageUsed, checkScope, checkWorkloads, deploymentsOf, digestOf, generatedName, ManifestsProblem, parseObjects, wireEnvironment, type KubernetesObject } from './objects';
import { checkReach, KUSTOMIZATION_FILES } from './reach';
import { PLAIN_FOLDER, writeWrapping, type ManifestsSource } from './wrapping';

export type { KubernetesObject } from './objects';
export { deploymentNames } from './objects';
export { MANAGED_BY } from './wrapping';

/** What rendering needs of a TargetInput whose target is a Kubernetes target with `manifests`. */
export interface RenderInput {
  app: string;
  environment: string;
  /** `service` and `deployment` name what Ferry makes beside them (`<service>-canary`, `<deployment>-canary`), which the manifests must leave to it. */
  target: { namespace: string; manifests: { path: string; image?: string }; service?: string; deployment?: string };
  /** The artifact, e.g. `shop:abc1234`, `registry.example.com/shop:abc1234`, `shop@sha256:…`. */
  version: string;
  source: SourceRef;
  appEnvironment?: AppEnvironment;
}

export interface RenderedManifests {
  /** Every object to apply, in kustomize's order, at least one Deployment among them; the Secret (with its values) is among them when there are secrets. */
  objects: KubernetesObject[];
  /** The generated ConfigMap of the environment's variables and VERSION, COMMIT, ENVIRONMENT (hashed name). */
  configMapName: string;
  /** The generated Secret of the environment's secrets (hashed name), when it has any. */
  secretName?: string;
  /** A short hash of `objects` without the worker's secret values: equal digests, equal manifests. */
  digest: string;
}

export interface RenderOptions {
  /** Where secret values are read; the worker's environment by default. */
  worker?: NodeJS.ProcessEnv;
  /** The kustomize binary; FERRY_KUSTOMIZE, else `kustomize` on PATH. */
  kustomize?: string;
  /** Cancels kustomize; the activity's cancellation signal by default (the checkout always hears the activity's). */
  signal?: AbortSignal;
  /** How long kustomize may take; 60 s by default. */
  timeoutMs?: number;
}

const MANIFEST_FILE = /\.ya?ml$/;
const MESSAGE_MAX = 1_500;

const invalid = (message: string) => ApplicationFailure.nonRetryable(message, FailureType.InvalidInput);

/** The variables every version gets, as the local target gives them (PORT is the manifests' business). */
function variablesOf(input: RenderInput): Record<string, string> {
  const data = { ...input.appEnvironment?.variables, VERSION: input.version, COMMIT: input.source.sha, ENVIRONMENT: input.environment };
  for (const key of Object.keys(data)) checkVariableName('variables', key);
  return data;
}

function inside(root: string, file: string): boolean {
  return file === root || file.startsWith(root + path.sep);
}

/** The overlay or the plain manifests at `manifests.path`, which must be a folder inside the checkout. */
async function manifestsSource(checkout: string, field: string, where: string): Promise<ManifestsSource> {
  const root = await fs.realpath(checkout);
  const dir = await fs.realpath(path.join(root, field)).catch(() => undefined);
  if (dir === undefined) throw invalid(`target.manifests.path ${field} does not exist ${where}`);
  if (!inside(root, dir)) throw invalid(`target.manifests.path ${field} leads out of the repository ${where} (a symbolic link)`);
  if (!(await fs.stat(dir)).isDirectory()) throw invalid(`target.manifests.path ${field} is a file ${where}: it must be a folder (a kustomize overlay or plain manifests)`);
  const entries = (await fs.readdir(dir)).sort();
  if (entries.some((entry) => KUSTOMIZATION_FILES.includes(entry))) return { kind: 'kustomization', dir };
  const files: string[] = [];
  for (const entry of entries.filter((name) => MANIFEST_FILE.test(name))) {
    const file = await fs.realpath(path.join(dir, entry));
    if (inside(root, file) && (await fs.stat(file)).isFile()) files.push(file);
  }
  if (files.length === 0) throw invalid(`target.manifests.path ${field} holds neither a kustomization.yaml nor .yaml/.yml manifests ${where}`);
  return { kind: 'plain', files };
}

/** kustomize's refusal, readable: paths as in the repository, Ferry's own folder named, no secret, bounded. */
function kustomizeReason(message: string, mask: Masker, where: { field: string; manifests: ManifestsSource; checkout: string; wrapping: string }): string {
  const replace = (text: string, from: string, to: string) => text.split(from).join(to);
  let text = message.replace(/^Error:\s*/, '');
  if (where.manifests.kind === 'plain') {
    for (const name of where.manifests.files.map((file) => path.basename(file))) {
      text = replace(text, path.join(where.wrapping, PLAIN_FOLDER, name), `${where.field}/${name}`);
      text = replace(text, `${PLAIN_FOLDER}/${name}`, `${where.field}/${name}`);
    }
  }
  text = replace(text, `${path.relative(where.wrapping, where.checkout)}${path.sep}`, '');
  text = replace(text, where.wrapping, "Ferry's wrapping kustomization");
  text = replace(replace(text, `${where.checkout}${path.sep}`, ''), where.checkout, '.');
  text = mask(text);
  return text.length > MESSAGE_MAX ? `${text.slice(0, MESSAGE_MAX)}…` : text;
}

/**
 * Renders the environment's manifests at `input.source.sha`. Bad input (a path missing at the
 * commit, manifests that do not render, a secret this worker lacks, an image the manifests never
 * use, a cluster-scoped object, no Deployment, a workload Ferry does not watch, an object named as
 * one of Ferry's own, kustomize running past its timeout) is a non-retryable InvalidInput naming the field or
 * object; no kustomize is a non-retryable NotAvailable. No secret value is ever in an error.
 */
export async function renderManifests(input: RenderInput, options: RenderOptions = {}): Promise<RenderedManifests> {
  const kustomize = options.kustomize ?? findKustomize();
  const signal = options.signal ?? activitySignal();
  const field = input.target.manifests.path.replace(/\/+$/, '') || '.';
  const where = `at commit ${input.source.sha.slice(0, 7)}`;
  const artifact = parseImage(input.version);
  const lookedFor = input.target.manifests.image ?? artifact.name;
  const configMap = { name: `${input.app}-variables`, data: variablesOf(input) };
  // Read before anything else: a secret this worker lacks fails the render at once, naming it.
  const secrets = readAppSecrets(input.appEnvironment, { worker: options.worker });
  const secret = Object.keys(secrets.values).length > 0 ? { name: `${input.app}-secrets`, data: secrets.values } : undefined;

  return withWorktree(input.source, `${input.app}-${input.environment}-render`, async (checkout) => {
    const manifests = await manifestsSource(checkout, field, where);
    if (manifests.kind === 'kustomization') {
      try {
        await checkReach(await fs.realpath(checkout), manifests.dir);
      } catch (error) {
        if (error instanceof ManifestsProblem) throw invalid(`target.manifests.path ${field} ${where}: ${secrets.mask(error.message)}`);
        throw error;
      }
    }
    const wrapping = await writeWrapping({ manifests, namespace: input.target.namespace, image: { name: lookedFor, artifact }, configMap, secret });
    let yaml: string;
    try {
      const built = await kustomizeBuild(kustomize, wrapping.dir, { signal, timeoutMs: options.timeoutMs ?? 60_000 });
      if (!built.ok) {
        const reason = kustomizeReason(built.message, secrets.mask, { field, manifests, checkout: await fs.realpath(checkout), wrapping: wrapping.dir });
        throw invalid(`target.manifests.path ${field} does not render ${where}: ${reason}`);
      }
      yaml = built.yaml;
    } finally {
      await wrapping.remove();
    }
    try {
      const objects = parseObjects(yaml);
      checkScope(objects, input.target.namespace);
      checkWorkloads(objects);
      checkOwnNames(objects, { app: input.app, service: input.target.service, deployment: input.target.deployment });
      const deployments = deploymentsOf(objects);
      if (deployments.length === 0) throw new ManifestsProblem('they hold no Deployment (apps/v1): Ferry rolls out and watches the Deployments of the manifests');
      checkImageUsed(objects, lookedFor, artifact);
      const configMapName = generatedName(objects, 'ConfigMap', 'variables');
      if (!configMapName) throw new ManifestsProblem(`kustomize's output lacks the generated ConfigMap ${configMap.name}`);
      const secretName = secret ? generatedName(objects, 'Secret', 'secrets') : undefined;
      if (secret && !secretName) throw new ManifestsProblem(`kustomize's output lacks the generated Secret ${secret.name}`);
      wireEnvironment(deployments, configMapName, secretName);
      return {
        objects,
        configMapName,
        ...(secretName ? { secretName } : {}),
        digest: digestOf(objects),
      };
    } catch (error) {
      if (error instanceof ManifestsProblem) throw invalid(`target.manifests.path ${field} ${where}: ${secrets.mask(error.message)}`);
      throw error;
    }
  });
}
