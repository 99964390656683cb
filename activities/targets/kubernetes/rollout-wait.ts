// Waits for a Deployment's rollout the way `kubectl rollout status` judges it, but on a watch:
// the API server tells Ferry of every status change, so a 10-minute rollout costs one request,
// not six hundred. The Deployment controller decides when progress stalled (progressDeadlineSeconds);
// Ferry reports its verdict instead of keeping a clock of its own.
import type { V1Deployment } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { invalidInput, readDeployment, throwIfAborted, type Cluster } from './client';
import { podProblems, podsOf } from './pods';

/** Well inside the target activities' one-minute heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 10_000;
/** The server ends each watch after this long; Ferry re-reads and watches again. */
const WATCH_SECONDS = 120;
/** Consecutive failed watches (not ordinary ends) before the wait gives up and lets the activity retry. */
const MAX_WATCH_FAILURES = 5;

/** Not one of common/errors' types yet: a rollout the cluster itself declared stuck. Never retried. */
export const ROLLOUT_FAILED = 'RolloutFailed';

type Progress = { kind: 'done' } | { kind: 'waiting'; message: string } | { kind: 'failed'; message: string };

export function rolloutProgress(deployment: V1Deployment): Progress {
  const { metadata, spec, status } = deployment;
  if ((status?.observedGeneration ?? 0) < (metadata?.generation ?? 0)) {
    return { kind: 'waiting', message: 'waiting for the Deployment controller to see the change' };
  }
  const stalled = status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  if (stalled) {
    const seconds = spec?.progressDeadlineSeconds ?? 600;
    return { kind: 'failed', message: `made no progress for progressDeadlineSeconds (${seconds}s): ${stalled.message ?? stalled.reason}` };
  }
  if (spec?.paused) return { kind: 'failed', message: 'is paused, so its rollout cannot finish' };
  const desired = spec?.replicas ?? 1;
  const updated = status?.updatedReplicas ?? 0;
  const total = status?.replicas ?? 0;
  const available = status?.availableReplicas ?? 0;
  if (updated < desired) return { kind: 'waiting', message: `${updated} of ${desired} replicas updated` };
  if (total > updated) return { kind: 'waiting', message: `${total - updated} old replicas still running` };
  if (available < updated) return { kind: 'waiting', message: `${available} of ${updated} updated replicas available` };
  return { kind: 'done' };
}

type WatchEnd = { kind: 'settled'; deployment: V1Deployment } | { kind: 'closed'; error?: unknown };

/** Resolves when the rollout is done or failed, or when the watch ends; rejects when cancelled. */
function watchOnce(cluster: Cluster, name: string, resourceVersion: string | undefined, report: (p: Progress) => void): Promise<WatchEnd> {
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
    const query = { fieldSelector: `metadata.name=${name}`, resourceVersion, timeoutSeconds: WATCH_SECONDS };
    const onEvent = (phase: string, object: unknown) => {
      // ERROR is usually 410 Gone (our resourceVersion is too old): re-read and watch again.
      if (phase === 'ERROR') return finish(() => resolve({ kind: 'closed', error: object }));
      if (phase === 'DELETED') return finish(() => reject(invalidInput(`${cluster.where('Deployment', name)} was deleted during its rollout`)));
      const deployment = object as V1Deployment;
      const progress = rolloutProgress(deployment);
      report(progress);
      if (progress.kind !== 'waiting') finish(() => resolve({ kind: 'settled', deployment }));
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

async function failure(cluster: Cluster, deployment: V1Deployment, message: string): Promise<ApplicationFailure> {
  const name = deployment.metadata?.name ?? '';
  // The pods usually say why (no node fits, image cannot be pulled); best effort, the verdict stands.
  const problems = await podsOf(cluster, deployment).then(podProblems, () => []);
  const why = problems.length > 0 ? `; ${problems.slice(0, 3).join('; ')}` : '';
  return ApplicationFailure.nonRetryable(`rollout of ${cluster.where('Deployment', name)} failed: it ${message}${why}`, ROLLOUT_FAILED);
}

/** Returns the Deployment once every replica runs its current template and is available. */
export async function waitForRollout(cluster: Cluster, name: string): Promise<V1Deployment> {
  let last = 'starting';
  const report = (progress: Progress) => {
    last = progress.kind === 'waiting' ? progress.message : progress.kind;
  };
  const beat = () => cluster.heartbeat({ deployment: name, rollout: last });
  const heartbeat = setInterval(beat, HEARTBEAT_EVERY_MS);
  try {
    let failures = 0;
    for (;;) {
      throwIfAborted(cluster.signal);
      let deployment = await readDeployment(cluster, name);
      let progress = rolloutProgress(deployment);
      report(progress);
      beat();
      if (progress.kind === 'waiting') {
        const end = await watchOnce(cluster, name, deployment.metadata?.resourceVersion, report);
        if (end.kind === 'closed') {
          failures = end.error ? failures + 1 : 0;
          if (failures >= MAX_WATCH_FAILURES) throw new Error(`watching ${cluster.where('Deployment', name)} failed ${failures} times: ${describe(end.error)}`);
          // A failed watch backs off before the next read, so a broken watch never turns into polling.
          if (failures > 0) await delay(Math.min(1_000 * 2 ** failures, 15_000), cluster.signal);
          continue;
        }
        deployment = end.deployment;
        progress = rolloutProgress(deployment);
      }
      if (progress.kind === 'done') return deployment;
      if (progress.kind === 'failed') throw await failure(cluster, deployment, progress.message);
    }
  } finally {
    clearInterval(heartbeat);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : JSON.stringify(error);
}
