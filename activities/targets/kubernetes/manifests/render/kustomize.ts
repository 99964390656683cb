// The kustomize binary the worker renders with, and one `kustomize build` of a folder.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../../../common/errors';
import { isExecutable } from '../../../../executable-file';

export const KUSTOMIZE_VERSION = 'v5.7.1';

const HOW_TO_GET =
  `set FERRY_KUSTOMIZE to the path of a kustomize v5 binary or put \`kustomize\` on the worker's PATH; ` +
  `\`GOBIN=$PWD/bin CGO_ENABLED=0 go install sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}\` builds one from the Go module proxy`;

/** FERRY_KUSTOMIZE, else `kustomize` on PATH; missing, a non-retryable NotAvailable saying how to get one. */
export function findKustomize(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.FERRY_KUSTOMIZE;
  if (given) {
    if (isExecutable(given)) return given;
    throw ApplicationFailure.nonRetryable(`FERRY_KUSTOMIZE is ${given.slice(0, 500)}, which is not an executable file: ${HOW_TO_GET}`, FailureType.NotAvailable);
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, 'kustomize');
    if (isExecutable(file)) return file;
  }
  throw ApplicationFailure.nonRetryable(`target.manifests needs kustomize on this worker, and it has none: ${HOW_TO_GET}`, FailureType.NotAvailable);
}

/** kustomize reaches the network only for remote bases: it gets what that needs and none of the worker's secrets. */
const PASSED = ['PATH', 'HOME', 'TMPDIR', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

export type BuildOutcome = { ok: true; yaml: string } | { ok: false; message: string };

/**
 * `kustomize build` of `dir` with kustomize's own load restrictions (files only from inside each
 * kustomization's folder); with reach.ts keeping every kustomization inside the checkout,
 * manifests cannot pull the worker's files into what is applied.
 * Cancellation throws the signal's reason; kustomize's own refusal, or its running past
 * `timeoutMs`, is returned as its message (unmasked: the caller masks it).
 */
export function kustomizeBuild(binary: string, dir: string, { signal, timeoutMs }: { signal?: AbortSignal; timeoutMs: number }): Promise<BuildOutcome> {
  const env = Object.fromEntries(PASSED.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]));
  return new Promise((resolve, reject) => {
    execFile(binary, ['build', dir], { env, signal, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (signal?.aborted) return reject(signal.reason);
      if (!error) return resolve({ ok: true, yaml: stdout });
      // Remote bases are refused before kustomize runs, so it reads local files only: a minute of
      // that is the manifests' doing (aliases that multiply), and a retry would only take another.
      if ((error as { killed?: boolean }).killed) {
        return resolve({ ok: false, message: `kustomize build took longer than ${timeoutMs / 1000} s (the repository's own files never need that long: aliases that multiply, or files too large)` });
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EACCES') {
        return reject(ApplicationFailure.nonRetryable(`kustomize at ${binary} could not be started (${String((error as NodeJS.ErrnoException).code)}): ${HOW_TO_GET}`, FailureType.NotAvailable));
      }
      resolve({ ok: false, message: stderr.trim() || error.message });
    });
  });
}
