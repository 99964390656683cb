// HTTP checks: does the version answer with the expected status, fast enough?
import { performance } from 'node:perf_hooks';
import type { AnalysisConfig } from '../../common/config-schema';

export type HttpCheck = AnalysisConfig['http'][number];

export interface HttpCheckResult {
  url: string;
  status?: number;
  latencyMs: number;
  problem?: string;
}

/** A check waits a little beyond its latency limit, so a slow answer is reported as slow, not as missing. */
const GRACE_MS = 5_000;

/** `headers`: the check's `headersEnv` already read (headers.ts), so a missing variable fails before any check. */
export async function runHttpCheck(check: HttpCheck, baseUrl: string | undefined, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<HttpCheckResult> {
  // Appended, not resolved: a base URL with a path of its own (a gateway's /shop/) keeps it.
  const url = check.url ?? (baseUrl ? `${baseUrl.replace(/\/+$/, '')}${check.path}` : undefined);
  if (!url) return { url: check.path ?? '?', latencyMs: 0, problem: `${check.path}: the target has no address to check it at` };
  const started = performance.now();
  try {
    const timeout = AbortSignal.timeout(check.maxLatencyMs + GRACE_MS);
    const response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, redirect: 'manual', headers });
    await response.arrayBuffer();
    const latencyMs = Math.round(performance.now() - started);
    const problems = [
      response.status !== check.expectStatus && `answered ${response.status}, expected ${check.expectStatus}`,
      latencyMs > check.maxLatencyMs && `took ${latencyMs} ms > ${check.maxLatencyMs} ms`,
    ].filter((p): p is string => typeof p === 'string');
    return { url, status: response.status, latencyMs, problem: problems.length ? `${url} ${problems.join(', ')}` : undefined };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const latencyMs = Math.round(performance.now() - started);
    return { url, latencyMs, problem: `${url} did not answer: ${(error as Error).cause ?? (error as Error).message}` };
  }
}
