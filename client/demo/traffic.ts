// Users of the sample app: requests from a few clients, counted by the version that answered.
import { VERSION_HEADER } from '../../activities/targets/local/proxy-server';

export interface TrafficReport {
  /** Answers by the version that served them (x-ferry-version) and status class. */
  byVersion: Record<string, { ok: number; failed: number }>;
  /** Requests that got no answer at all, or none from any version. */
  unanswered: number;
}

/**
 * Sends requests to `url` from `concurrency` clients until stopped, counting answers per version;
 * each client waits `pauseMs` between requests (0: as fast as the app answers).
 */
export function startTraffic(url: string, concurrency = 4, pauseMs = 0) {
  const report: TrafficReport = { byVersion: {}, unanswered: 0 };
  let running = true;
  const client = async () => {
    while (running) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        const version = response.headers.get(VERSION_HEADER) ?? '(none)';
        const counts = (report.byVersion[version] ??= { ok: 0, failed: 0 });
        if (response.ok) counts.ok += 1;
        else counts.failed += 1;
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      } catch {
        report.unanswered += 1;
        // Nothing listens yet (or any more): ask again shortly rather than spin.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  return {
    report,
    total: () => Object.values(report.byVersion).reduce((n, c) => n + c.ok + c.failed, 0) + report.unanswered,
    stop: async () => {
      running = false;
      await Promise.all(clients);
      return report;
    },
  };
}
