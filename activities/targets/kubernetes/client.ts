// One environment's view of its cluster: the kubeconfig context it names, the APIs Ferry uses, and
// errors that say where Ferry looked, so a failed deploy at 3 a.m. names the context and namespace.
import {
  AppsV1Api,
  CoreV1Api,
  createConfiguration,
  DiscoveryV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  ServerConfiguration,
  setHeaderOptions,
  Watch,
  type Configuration,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { TargetConfig } from '../../../common/config-schema';
import { FailureType } from '../../../common/errors';

export type KubernetesTargetConfig = Extract<TargetConfig, { kind: 'kubernetes' }>;
/** A target whose Deployment is known: image mode, or manifests with a canary Deployment named. */
export type DeploymentTargetConfig = KubernetesTargetConfig & { deployment: string };

export interface TargetOptions {
  /** Called while Ferry waits on the cluster, so a long rollout keeps its activity alive. */
  heartbeat?: (detail: unknown) => void;
  /** Cancels a wait or an API call in flight (the activity's cancellation signal). */
  signal?: AbortSignal;
}

/**
 * One environment's cluster. Image mode always knows its Deployment; manifests mode may not, so
 * what works for both takes an `AnyCluster`.
 */
export interface Cluster<Config extends KubernetesTargetConfig = DeploymentTargetConfig> {
  readonly config: Config;
  readonly apps: AppsV1Api;
  /** Any kind of object by its apiVersion and kind: server-side apply of rendered manifests. */
  readonly objects: ObjectApi;
  readonly core: CoreV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly watch: Watch;
  readonly heartbeat: (detail: unknown) => void;
  readonly signal?: AbortSignal;
  /** "Deployment shop in namespace prod (context prod-eu)". */
  where(kind: string, name: string): string;
}

/**
 * KubernetesObjectApi with its discovery open: whether the API server serves a kind namespaced.
 * It asks once per group-version and keeps the answer, which its own patch and read use too.
 */
export class ObjectApi extends KubernetesObjectApi {
  /** `undefined` when the group-version is served but has no such kind; throws what discovery threw (a 404 for a group-version not served). */
  async isNamespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    return (await this.resource(apiVersion, kind))?.namespaced;
  }
}

/** Who changed the object, in managedFields and audit logs. */
export const FIELD_MANAGER = 'ferry';

/** The generated client sends JSON Patch unless told otherwise. */
export const STRATEGIC_MERGE = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, FailureType.InvalidInput);
}

export type AnyCluster = Cluster<KubernetesTargetConfig>;

export function connect<Config extends KubernetesTargetConfig>(config: Config, options: TargetOptions = {}): Cluster<Config> {
  const kubeConfig = new KubeConfig();
  const source = process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : '~/.kube/config';
  try {
    kubeConfig.loadFromDefault();
  } catch (error) {
    throw invalidInput(`cannot read the kubeconfig (${source}): ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!kubeConfig.getContextObject(config.context)) {
    const known = kubeConfig.getContexts().map((c) => c.name);
    throw invalidInput(`kubeconfig (${source}) has no context "${config.context}"; it has ${known.length > 0 ? known.join(', ') : 'none'}`);
  }
  kubeConfig.setCurrentContext(config.context);
  return {
    config,
    apps: apiClient(kubeConfig, AppsV1Api, options.signal),
    core: apiClient(kubeConfig, CoreV1Api, options.signal),
    discovery: apiClient(kubeConfig, DiscoveryV1Api, options.signal),
    objects: apiClient(kubeConfig, ObjectApi, options.signal),
    watch: new Watch(kubeConfig),
    heartbeat: options.heartbeat ?? (() => undefined),
    signal: options.signal,
    where: (kind, name) => `${kind} ${name} in namespace ${config.namespace} (context ${config.context})`,
  };
}

/**
 * What KubeConfig.makeApiClient builds, plus the cancellation signal on every request: an abort
 * must not wait for an API server that stopped answering (a call has no timeout of its own).
 */
function apiClient<T>(kubeConfig: KubeConfig, Api: new (configuration: Configuration) => T, signal: AbortSignal | undefined): T {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw invalidInput(`context "${kubeConfig.getCurrentContext()}" of the kubeconfig names no cluster server`);
  return new Api(
    createConfiguration({
      baseServer: new ServerConfiguration(server, {}),
      authMethods: { default: kubeConfig },
      promiseMiddleware: signal
        ? [
            {
              pre: async (request) => {
                request.setSignal(signal);
                return request;
              },
              post: async (response) => response,
            },
          ]
        : [],
    }),
  );
}

/** The status code of an API error, whatever shape the client gave it. */
export function statusCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown; statusCode?: unknown }).code ?? (error as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's own words (a Status object's message) rather than "Unknown API Status Code!". */
function serverMessage(error: unknown): string {
  const raw = (error as { body?: unknown }).body;
  let body: unknown = raw;
  if (typeof raw === 'string') {
    try {
      body = JSON.parse(raw);
    } catch {
      return raw.slice(0, 500);
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') return message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Rewraps an API error with what Ferry was doing and where. Refusals that a retry cannot fix
 * (forbidden by RBAC, an invalid object) are non-retryable; the rest (timeouts, conflicts,
 * an API server restarting) stay retryable for the activity's retry policy.
 */
export function clusterError(error: unknown, doing: string): Error {
  if (error instanceof ApplicationFailure) return error;
  const code = statusCode(error);
  const message = `${doing}: ${code === undefined ? (error instanceof Error ? error.message : String(error)) : `${code} ${serverMessage(error)}`}`;
  if (code === 400 || code === 401 || code === 403 || code === 404 || code === 422) return invalidInput(message);
  return new Error(message, { cause: error });
}

/** The environment's own Deployment, which Ferry never creates: missing means a wrong config. */
export async function readDeployment(cluster: AnyCluster, name: string): Promise<V1Deployment> {
  const found = await findDeployment(cluster, name);
  if (!found) throw invalidInput(`${cluster.where('Deployment', name)} does not exist`);
  return found;
}

/** A Deployment Ferry manages beside the configured one (canary, colour), which may not exist yet. */
export async function findDeployment(cluster: AnyCluster, name: string): Promise<V1Deployment | undefined> {
  try {
    return await cluster.apps.readNamespacedDeployment({ name, namespace: cluster.config.namespace });
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw clusterError(error, `reading ${cluster.where('Deployment', name)}`);
  }
}

export async function readService(cluster: AnyCluster): Promise<V1Service> {
  const name = cluster.config.service;
  if (!name)
    throw invalidInput(
      `target for ${cluster.where(cluster.config.deployment ? 'Deployment' : 'manifests', cluster.config.deployment ?? cluster.config.manifests?.path ?? '')} has no service: blue-green switches a Service's selector`,
    );
  try {
    return await cluster.core.readNamespacedService({ name, namespace: cluster.config.namespace });
  } catch (error) {
    if (statusCode(error) === 404) throw invalidInput(`${cluster.where('Service', name)} does not exist`);
    throw clusterError(error, `reading ${cluster.where('Service', name)}`);
  }
}

export async function patchDeployment(cluster: Cluster, name: string, body: object, doing: string): Promise<V1Deployment> {
  try {
    return await cluster.apps.patchNamespacedDeployment({ name, namespace: cluster.config.namespace, body, fieldManager: FIELD_MANAGER }, STRATEGIC_MERGE);
  } catch (error) {
    throw clusterError(error, `${doing} (${cluster.where('Deployment', name)})`);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(`cancelled: ${String(signal.reason)}`);
}
