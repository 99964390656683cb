// Waits for a Deployment's rollout on a watch: the API server tells Ferry of every status change, so a
// 10-minute rollout costs a handful of requests, not six hundred. The Deployment controller decides
// when progress stalled (progressDeadlineSeconds); Ferry reports its verdict rather than keeping a
// clock of its own, except to see past a verdict left over from an earlier rollout.
import type { V1Deployment } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { clusterError, invalidInput, throwIfAborted, type AnyCluster } from './client';
import { isOwnedBy, isReady, isTerminating, podProblems, workloadOf, type Workload } from './pods';
import { FailureType } from '../../../common/errors';

/** Well inside the target activities' one-minute heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 10_000;
/** The server ends each watch after this long; Ferry re-reads and watches again. */
const WATCH_SECONDS = 120;
/** How soon to look again when the Deployment's status is ahead of its pods (no event may say so). */
const RECHECK_PODS_SECONDS = 3;
/** Consecutive failed watches (not ordinary ends) before the wait gives up and lets the activity retry. */
const MAX_WATCH_FAILURES = 5;

type Progress = { kind: 'done' } | { kind: 'waiting'; message: string; recheckSeconds?: number } | { kind: 'failed'; message: string };

type StatusProgress = Progress | { kind: 'stalled'; message: string; replicaSet?: string };

/** The replica counts of the status, the way `kubectl rollout status` reads them. */
function countsProgress(deployment: V1Deployment): Progress {
  const { spec, status } = deployment;
  const desired = spec?.replicas ?? 1;
  const updated = status?.updatedReplicas ?? 0;
  const total = status?.replicas ?? 0;
  const available = status?.availableReplicas ?? 0;
  if (updated < desired) return { kind: 'waiting', message: `${updated} of ${desired} replicas updated` };
  if (total > updated) return { kind: 'waiting', message: `${total - updated} old replicas still running` };
  if (total > desired) return { kind: 'waiting', message: `${total - desired} replicas still to stop` };
  if (available < updated) return { kind: 'waiting', message: `${available} of ${updated} updated replicas available` };
  return { kind: 'done' };
}

/** What the Deployment's own status says: no API calls, so it can run on every watch event. */
export function statusProgress(deployment: V1Deployment): StatusProgress {
  const { metadata, spec, status } = deployment;
  if ((status?.observedGeneration ?? 0) < (metadata?.generation ?? 0)) {
    return { kind: 'waiting', message: 'waiting for the Deployment controller to see the change' };
  }
  const stalled = status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  if (stalled) {
    const seconds = spec?.progressDeadlineSeconds ?? 600;
    const replicaSet = /ReplicaSet "([^"]+)"/.exec(stalled.message ?? '')?.[1];
    const said = (stalled.message ?? stalled.reason ?? '').replace(/\.$/, '');
    return { kind: 'stalled', replicaSet, message: `made no progress for progressDeadlineSeconds (${seconds}s): ${said}` };
  }
  if (spec?.paused) return { kind: 'failed', message: 'is paused, so its rollout cannot finish' };
  return countsProgress(deployment);
}

/**
 * The status counts come from ReplicaSet status, which can lag: scaled 2 → 0 → 2 quickly, a
 * Deployment looks complete before its new pods exist. The pods decide: every replica of the
 * current ReplicaSet ready, nothing else still running.
 */
function podsProgress(deployment: V1Deployment, workload: Workload): Progress {
  const desired = deployment.spec?.replicas ?? 1;
  const running = workload.pods.filter((pod) => !isTerminating(pod));
  const ready = running.filter((pod) => isOwnedBy(pod, workload.current) && isReady(pod)).length;
  if (!workload.current && desired > 0) return { kind: 'waiting', message: 'waiting for the new ReplicaSet', recheckSeconds: RECHECK_PODS_SECONDS };
  if (ready < desired) return { kind: 'waiting', message: `${ready} of ${desired} pods ready`, recheckSeconds: RECHECK_PODS_SECONDS };
  if (running.length > desired) {
    return { kind: 'waiting', message: `${running.length - desired} pods still to stop`, recheckSeconds: RECHECK_PODS_SECONDS };
  }
  return { kind: 'done' };
}

/**
 * The status, checked against the ReplicaSets and pods when it claims an end. A
 * ProgressDeadlineExceeded condition outlives its rollout (the controller leaves it until something
 * progresses, and a rollback to a ReplicaSet that is already up may never count as progress): it
 * fails this wait when it names the current ReplicaSet, or when this rollout did not finish within
 * the deadline counted from the start of the wait.
 */
async function judge(cluster: AnyCluster, deployment: V1Deployment, startedAt: number): Promise<Progress> {
  const status = statusProgress(deployment);
  if (status.kind === 'waiting' || status.kind === 'failed') return status;
  const workload = await workloadOf(cluster, deployment);
  const pods = podsProgress(deployment, workload);
  if (status.kind === 'done') return pods;
  const currentName = workload.current?.metadata?.name;
  const ours = status.replicaSet !== undefined && status.replicaSet === currentName;
  if (!ours && countsProgress(deployment).kind === 'done' && pods.kind === 'done') return pods;
  const deadlineMs = (deployment.spec?.progressDeadlineSeconds ?? 600) * 1_000;
  const waited = Date.now() - startedAt;
  if (ours || waited >= deadlineMs) {
    const problems = podProblems(workload.pods.filter((pod) => isOwnedBy(pod, workload.current)));
    return { kind: 'failed', message: [status.message, ...problems.slice(0, 3)].join('; ') };
  }
  // Until the controller names the current ReplicaSet (a rollback renumbers an old one), look again soon.
  const recheckSeconds = currentName === undefined ? RECHECK_PODS_SECONDS : Math.min(RECHECK_PODS_SECONDS * 5, Math.ceil((deadlineMs - waited) / 1_000));
  return { kind: 'waiting', message: 'an earlier rollout timed out; waiting on this one', recheckSeconds };
}

/** The Deployment and a resourceVersion to watch from: a list's is current, an object's may be long compacted. */
async function readForWatch(cluster: AnyCluster, name: string): Promise<{ deployment: V1Deployment; resourceVersion?: string }> {
  let list;
  try {
    list = await cluster.apps.listNamespacedDeployment({ namespace: cluster.config.namespace, fieldSelector: `metadata.name=${name}` });
  } catch (error) {
    throw clusterError(error, `reading ${cluster.where('Deployment', name)}`);
  }
  const deployment = list.items[0];
  if (!deployment) throw invalidInput(`${cluster.where('Deployment', name)} does not exist`);
  return { deployment, resourceVersion: list.metadata?.resourceVersion };
}

type WatchEnd = { kind: 'event' } | { kind: 'closed'; error?: unknown };

/** Resolves on the first change worth judging, or when the watch ends; rejects when cancelled. */
function watchOnce(cluster: AnyCluster, name: string, resourceVersion: string | undefined, seconds: number, report: (message: string) => void): Promise<WatchEnd> {
  const { signal } = cluster;
  return new Promise((resolve, reject) => {
    let controller: AbortController | undefined;
    let settled = false;
    const finish = (end: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      controller?.abort();
      end();
    };
    const onAbort = () => finish(() => reject(signal?.reason instanceof Error ? signal.reason : new Error('cancelled')));
    signal?.addEventListener('abort', onAbort, { once: true });

    const path = `/apis/apps/v1/namespaces/${encodeURIComponent(cluster.config.namespace)}/deployments`;
    const query = { fieldSelector: `metadata.name=${name}`, resourceVersion, timeoutSeconds: Math.max(1, seconds) };
    const onEvent = (phase: string, object: unknown) => {
      if (phase === 'ERROR') {
        // 410 Gone: the resourceVersion was compacted away meanwhile; read again, nothing failed.
        const gone = (object as { code?: unknown } | undefined)?.code === 410;
        return finish(() => resolve({ kind: 'closed', error: gone ? undefined : object }));
      }
      if (phase === 'DELETED') return finish(() => reject(invalidInput(`${cluster.where('Deployment', name)} was deleted during its rollout`)));
      const progress = statusProgress(object as V1Deployment);
      if (progress.kind === 'waiting') report(progress.message);
      else finish(() => resolve({ kind: 'event' }));
    };
    cluster.watch
      .watch(path, query, onEvent, (error: unknown) => finish(() => resolve({ kind: 'closed', error: error ?? undefined })))
      .then((started) => {
        controller = started;
        if (settled) started.abort();
      })
      .catch((error: unknown) => finish(() => resolve({ kind: 'closed', error })));
  });
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : JSON.stringify(error);
}

/** Returns the Deployment once every replica runs its current template, ready, and nothing else runs. */
export async function waitForRollout(cluster: AnyCluster, name: string): Promise<V1Deployment> {
  const startedAt = Date.now();
  let last = 'starting';
  const report = (message: string) => {
    last = message;
  };
  const beat = () => cluster.heartbeat({ deployment: name, rollout: last });
  const heartbeat = setInterval(beat, HEARTBEAT_EVERY_MS);
  try {
    let failures = 0;
    for (;;) {
      throwIfAborted(cluster.signal);
      const { deployment, resourceVersion } = await readForWatch(cluster, name);
      const verdict = await judge(cluster, deployment, startedAt);
      report(verdict.kind === 'waiting' ? verdict.message : verdict.kind);
      beat();
      if (verdict.kind === 'done') return deployment;
      if (verdict.kind === 'failed') {
        throw ApplicationFailure.nonRetryable(`rollout of ${cluster.where('Deployment', name)} failed: it ${verdict.message}`, FailureType.RolloutFailed);
      }
      const end = await watchOnce(cluster, name, resourceVersion, verdict.recheckSeconds ?? WATCH_SECONDS, report);
      if (end.kind === 'closed' && end.error !== undefined) {
        failures += 1;
        if (failures >= MAX_WATCH_FAILURES) throw new Error(`watching ${cluster.where('Deployment', name)} failed ${failures} times: ${describe(end.error)}`);
        // A failing watch backs off before the next read, so a broken watch never turns into polling.
        await delay(Math.min(1_000 * 2 ** failures, 15_000), cluster.signal);
      } else {
        failures = 0;
      }
    }
  } finally {
    clearInterval(heartbeat);
  }
}
