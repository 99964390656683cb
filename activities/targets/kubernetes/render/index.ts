// Manifests mode's first half: the environment's manifests in the repository at the promoted
// commit, rendered by kustomize into the exact objects to apply — the artifact's image set, the
// environment's variables and secrets as a generated ConfigMap and Secret (content-hashed names)
// that every container of every Deployment reads, everything in the target's namespace.
import type { AppEnvironment } from '../../../../common/app-environment';
import type { SourceRef } from '../../../../common/activity-contracts';

/** One object to apply, as kustomize printed it (parsed YAML, plain JSON). */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/** What rendering needs of a TargetInput whose target is a Kubernetes target with `manifests`. */
export interface RenderInput {
  app: string;
  environment: string;
  target: { namespace: string; manifests: { path: string; image?: string } };
  /** The artifact, e.g. `shop:abc1234`, `registry.example.com/shop:abc1234`, `shop@sha256:…`. */
  version: string;
  source: SourceRef;
  appEnvironment?: AppEnvironment;
}

export interface RenderedManifests {
  /** Every object to apply, in kustomize's order; the Secret (with its values) is among them when there are secrets. */
  objects: KubernetesObject[];
  /** The names of the Deployments among `objects`: at least one. */
  deployments: string[];
  /** The generated ConfigMap of the environment's variables (hashed name), when it has any. */
  configMapName?: string;
  /** The generated Secret of the environment's secrets (hashed name), when it has any. */
  secretName?: string;
  /** A short hash of `objects` without secret values: equal digests, equal manifests. */
  digest: string;
}

export interface RenderOptions {
  /** Where secret values are read; the worker's environment by default. */
  worker?: NodeJS.ProcessEnv;
  /** The kustomize binary; FERRY_KUSTOMIZE, else `kustomize` on PATH. */
  kustomize?: string;
  /** Cancels the checkout and kustomize; the activity's cancellation signal by default. */
  signal?: AbortSignal;
  /** How long kustomize may take; 60 s by default. */
  timeoutMs?: number;
}

/**
 * Renders the environment's manifests at `input.source.sha`. Bad input (a path missing at the
 * commit, manifests that do not render, a secret this worker lacks, an image the manifests never
 * use, a cluster-scoped object, no Deployment) is a non-retryable InvalidInput naming the field or
 * object; no secret value is ever in an error.
 */
export async function renderManifests(input: RenderInput, options: RenderOptions = {}): Promise<RenderedManifests> {
  void input;
  void options;
  throw new Error('renderManifests: not implemented yet');
}
