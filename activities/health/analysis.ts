// Judging one version: the target's own view, HTTP checks and Prometheus, against the thresholds.
import { setTimeout as delay } from 'node:timers/promises';
import type { AnalysisResult } from '../../common/activity-contracts';
import type { AnalysisConfig } from '../../common/config-schema';
import type { Target, VersionSnapshot } from '../targets/target';
import { headersFromEnv } from './headers';
import { runHttpCheck } from './http-checks';
import { judge, type Measurements } from './judge';
import { queryPrometheus } from './prometheus';
import { fillQuery, fillUrl, type PlaceholderValues } from '../../common/check-placeholders';

export interface AnalysisRequest {
  target: Target;
  version: string;
  environment: string;
  analysis: AnalysisConfig;
  signal?: AbortSignal;
  heartbeat?: (detail?: unknown) => void;
}

const POLL_MS = 500;

export async function analyzeVersion(request: AnalysisRequest): Promise<AnalysisResult> {
  // Read before waiting for traffic: a variable missing on this worker fails the analysis at once.
  const { analysis } = request;
  const httpHeaders = analysis.http.map((check, i) => headersFromEnv(check.headersEnv, `analysis.http[${i}].headersEnv`));
  const prometheusHeaders = headersFromEnv(analysis.prometheus?.headersEnv, 'analysis.prometheus.headersEnv');
  const snapshot = await snapshotWithEnoughTraffic(request);
  // The target says which Service reaches this version alone; the checks aim there.
  const values: PlaceholderValues = { version: request.version, environment: request.environment, service: snapshot.service };
  const http = await Promise.all(analysis.http.map((check, i) => runHttpCheck({ ...check, url: check.url && fillUrl(check.url, values) }, snapshot.baseUrl, request.signal, httpHeaders[i])));
  return judge(analysis, { snapshot, http, prometheus: await prometheusMeasurements(request, values, prometheusHeaders) });
}

/**
 * A verdict on three requests is noise: wait (up to `maxWait`) until `minRequests` reached the
 * version. A version that is plainly broken is judged at once.
 */
async function snapshotWithEnoughTraffic({ target, version, analysis, signal, heartbeat }: AnalysisRequest): Promise<VersionSnapshot> {
  const giveUpAt = Date.now() + analysis.maxWait;
  for (;;) {
    const snapshot = await target.snapshot(version, analysis.window);
    const requests = snapshot.traffic?.requests;
    const enough = requests === undefined || requests >= analysis.minRequests;
    if (enough || snapshot.problems.length > 0 || Date.now() >= giveUpAt) return snapshot;
    heartbeat?.({ waitingForRequests: analysis.minRequests, seen: requests });
    await delay(POLL_MS, undefined, { signal });
  }
}

async function prometheusMeasurements({ analysis, version, signal }: AnalysisRequest, values: PlaceholderValues, headers: Record<string, string>): Promise<Measurements['prometheus']> {
  const measured: Measurements['prometheus'] = { problems: [] };
  const prometheus = analysis.prometheus;
  if (!prometheus) return measured;
  for (const key of ['errorRate', 'p95LatencyMs'] as const) {
    const query = prometheus[key];
    if (!query) continue;
    try {
      const value = await queryPrometheus(prometheus.url, fillQuery(query, values), signal, headers);
      // No data means no traffic yet; it only counts against a version when traffic was required.
      if (value !== undefined) measured[key] = value;
      else if (analysis.minRequests > 0) measured.problems.push(`Prometheus has no data for ${key} of ${version}`);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      measured.problems.push(`Prometheus ${key}: ${(error as Error).message}`);
    }
  }
  return measured;
}
