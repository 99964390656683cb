// What the proxy saw per version: recent requests for analysis (forgotten when the version's
// share changes, so each canary step is judged alone) and monotonic counters for Prometheus.

/** Enough recent requests to judge a version without letting a busy environment grow the proxy's memory. */
const RECENT_REQUESTS = 10_000;
const BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface WindowStats {
  requests: number;
  errors: number;
  p95LatencyMs?: number;
  windowMs: number;
  inFlight: number;
}

/** The latest requests of one version since it got its current share, oldest first. */
class RecentRequests {
  private readonly at: number[] = [];
  private readonly status: number[] = [];
  private readonly latencyMs: number[] = [];

  constructor(readonly since = Date.now()) {}

  /** Kept by the time the request arrived: one routed before a share changed belongs to the share before. */
  record(status: number, latencyMs: number): void {
    this.at.push(Date.now() - latencyMs);
    this.status.push(status);
    this.latencyMs.push(latencyMs);
    // Trimmed in batches: dropping one entry per request would copy the whole list every time.
    if (this.at.length > 2 * RECENT_REQUESTS) [this.at, this.status, this.latencyMs].forEach((list) => list.splice(0, RECENT_REQUESTS));
  }

  /** Requests of the last `windowMs` (or since the share changed, if that is later). */
  summary(windowMs: number): Omit<WindowStats, 'inFlight'> {
    const from = Math.max(this.since, Date.now() - windowMs);
    // By arrival time, which is not the order requests finish in: filter, don't cut.
    const inWindow = this.at.flatMap((t, i) => (t >= from ? [i] : []));
    const statuses = inWindow.map((i) => this.status[i]);
    const latencies = inWindow.map((i) => this.latencyMs[i]).sort((a, b) => a - b);
    return {
      requests: statuses.length,
      errors: statuses.filter((s) => s >= 500).length,
      p95LatencyMs: latencies.length ? latencies[Math.ceil(latencies.length * 0.95) - 1] : undefined,
      windowMs: Date.now() - from,
    };
  }
}

interface Counters {
  byStatus: Map<number, number>;
  buckets: number[];
  sumSeconds: number;
  count: number;
}

export class TrafficStats {
  private readonly recent = new Map<string, RecentRequests>();
  private readonly counters = new Map<string, Counters>();
  private readonly inFlight = new Map<string, number>();

  reset(version: string): void {
    this.recent.set(version, new RecentRequests());
  }

  started(version: string): void {
    this.inFlight.set(version, (this.inFlight.get(version) ?? 0) + 1);
  }

  /** `status` is undefined when the client left before the version answered: not counted. */
  finished(version: string, status: number | undefined, latencyMs: number): void {
    this.inFlight.set(version, Math.max(0, (this.inFlight.get(version) ?? 1) - 1));
    if (status === undefined) return;
    if (!this.recent.has(version)) this.reset(version);
    this.recent.get(version)!.record(status, latencyMs);
    const counters = this.countersOf(version);
    counters.byStatus.set(status, (counters.byStatus.get(status) ?? 0) + 1);
    const seconds = latencyMs / 1000;
    BUCKETS_SECONDS.forEach((le, i) => {
      if (seconds <= le) counters.buckets[i] += 1;
    });
    counters.sumSeconds += seconds;
    counters.count += 1;
  }

  window(version: string, windowMs: number): WindowStats {
    const recent = this.recent.get(version) ?? new RecentRequests();
    return { ...recent.summary(windowMs), inFlight: this.inFlight.get(version) ?? 0 };
  }

  /** Prometheus' text exposition format. */
  exposition(environment: string): string {
    const label = (version: string, extra = '') => `{environment="${escape(environment)}",version="${escape(version)}"${extra}}`;
    const lines = ['# HELP ferry_proxy_requests_total Requests the Ferry proxy forwarded, by version and status code.', '# TYPE ferry_proxy_requests_total counter'];
    for (const [version, counters] of this.counters) {
      for (const [status, count] of counters.byStatus) lines.push(`ferry_proxy_requests_total${label(version, `,code="${status}"`)} ${count}`);
    }
    lines.push('# HELP ferry_proxy_request_duration_seconds Time from request to the end of the response, by version.', '# TYPE ferry_proxy_request_duration_seconds histogram');
    for (const [version, counters] of this.counters) {
      BUCKETS_SECONDS.forEach((le, i) => lines.push(`ferry_proxy_request_duration_seconds_bucket${label(version, `,le="${le}"`)} ${counters.buckets[i]}`));
      lines.push(`ferry_proxy_request_duration_seconds_bucket${label(version, ',le="+Inf"')} ${counters.count}`);
      lines.push(`ferry_proxy_request_duration_seconds_sum${label(version)} ${counters.sumSeconds}`);
      lines.push(`ferry_proxy_request_duration_seconds_count${label(version)} ${counters.count}`);
    }
    return `${lines.join('\n')}\n`;
  }

  private countersOf(version: string): Counters {
    let counters = this.counters.get(version);
    if (!counters) {
      counters = { byStatus: new Map(), buckets: BUCKETS_SECONDS.map(() => 0), sumSeconds: 0, count: 0 };
      this.counters.set(version, counters);
    }
    return counters;
  }
}

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
