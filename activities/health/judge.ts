// Turns what was measured into a verdict: one reason per broken threshold.
import type { AnalysisResult } from '../../common/activity-contracts';
import type { AnalysisConfig } from '../../common/config-schema';
import type { VersionSnapshot } from '../targets/target';
import type { HttpCheckResult } from './http-checks';

export interface Measurements {
  snapshot: VersionSnapshot;
  http: HttpCheckResult[];
  prometheus: { errorRate?: number; p95LatencyMs?: number; problems: string[] };
}

const percent = (rate: number) => `${+(rate * 100).toFixed(2)}%`;
/** Latencies are judged at 0.1 ms, the precision they are printed with, so a reason never reads "500 ms > 500 ms". */
const tenths = (value: number) => Math.round(value * 10) / 10;

export function judge(analysis: AnalysisConfig, { snapshot, http, prometheus }: Measurements): AnalysisResult {
  const reasons = [...snapshot.problems];
  const metrics: Record<string, number> = {};
  const traffic = snapshot.traffic;
  if (traffic) {
    metrics.requests = traffic.requests;
    metrics.errors = traffic.errors;
    if (traffic.requests < analysis.minRequests) {
      reasons.push(`only ${traffic.requests} requests reached ${snapshot.version}, ${analysis.minRequests} needed to judge it`);
    }
    if (traffic.requests > 0) {
      metrics.errorRate = traffic.errors / traffic.requests;
      if (metrics.errorRate > analysis.maxErrorRate) {
        reasons.push(`error rate ${percent(metrics.errorRate)} (${traffic.errors} of ${traffic.requests}) > ${percent(analysis.maxErrorRate)}`);
      }
    }
    if (traffic.p95LatencyMs !== undefined) {
      metrics.p95LatencyMs = tenths(traffic.p95LatencyMs);
      if (analysis.maxP95LatencyMs !== undefined && metrics.p95LatencyMs > analysis.maxP95LatencyMs) {
        reasons.push(`p95 latency ${metrics.p95LatencyMs} ms > ${analysis.maxP95LatencyMs} ms`);
      }
    }
  }
  if (snapshot.replicas) {
    metrics.readyReplicas = snapshot.replicas.ready;
    metrics.desiredReplicas = snapshot.replicas.desired;
    metrics.restarts = snapshot.replicas.restarts;
    if (snapshot.replicas.ready < snapshot.replicas.desired) {
      reasons.push(`only ${snapshot.replicas.ready} of ${snapshot.replicas.desired} replicas of ${snapshot.version} are ready`);
    }
  }
  http.forEach((check, i) => {
    if (check.status !== undefined) metrics[`http${i}LatencyMs`] = check.latencyMs;
    if (check.problem) reasons.push(check.problem);
  });
  reasons.push(...prometheus.problems);
  if (prometheus.errorRate !== undefined) {
    metrics.prometheusErrorRate = prometheus.errorRate;
    if (prometheus.errorRate > analysis.maxErrorRate) {
      reasons.push(`Prometheus error rate ${percent(prometheus.errorRate)} > ${percent(analysis.maxErrorRate)}`);
    }
  }
  if (prometheus.p95LatencyMs !== undefined) {
    metrics.prometheusP95LatencyMs = tenths(prometheus.p95LatencyMs);
    if (analysis.maxP95LatencyMs !== undefined && metrics.prometheusP95LatencyMs > analysis.maxP95LatencyMs) {
      reasons.push(`Prometheus p95 latency ${metrics.prometheusP95LatencyMs} ms > ${analysis.maxP95LatencyMs} ms`);
    }
  }
  return { healthy: reasons.length === 0, reasons, metrics };
}
