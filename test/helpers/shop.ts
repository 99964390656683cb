// The example shop app as a real git repository, and real HTTP traffic to send it.
import fs from 'node:fs';
import path from 'node:path';
import { AUTHORS, TestRepo } from './git-repo';

export { freePort } from '../../activities/targets/local/probes';

const SHOP_DIR = path.join(__dirname, '..', '..', 'examples', 'shop');

export interface ShopRepo {
  repo: TestRepo;
  /** spring: the shop as it is; summer: a new release; broken: answers 500 to every order. */
  shas: { spring: string; summer: string; broken: string };
}

export function shopRepo(): ShopRepo {
  const repo = new TestRepo();
  const files = Object.fromEntries(
    fs
      .readdirSync(SHOP_DIR, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const file = path.relative(SHOP_DIR, path.join(entry.parentPath, entry.name));
        return [file, fs.readFileSync(path.join(SHOP_DIR, file), 'utf8')];
      }),
  );
  const spring = repo.commit('Open the shop', AUTHORS.ada, files);
  const summer = repo.commit('Summer release', AUTHORS.grace, { 'release.json': '{ "name": "summer", "failRate": 0 }\n' });
  const broken = repo.commit('A release that fails every request', AUTHORS.linus, { 'release.json': '{ "name": "broken", "failRate": 1 }\n' });
  return { repo, shas: { spring, summer, broken } };
}

export interface TrafficReport {
  /** Answers by the version that served them (x-ferry-version) and status class. */
  byVersion: Record<string, { ok: number; failed: number }>;
  /** Requests that got no answer at all, or none from any version. */
  unanswered: number;
}

/** Sends requests to `url` from `concurrency` clients until stopped, counting answers per version. */
export function startTraffic(url: string, concurrency = 4) {
  const report: TrafficReport = { byVersion: {}, unanswered: 0 };
  let running = true;
  const client = async () => {
    while (running) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        const version = response.headers.get('x-ferry-version') ?? '(none)';
        const counts = (report.byVersion[version] ??= { ok: 0, failed: 0 });
        if (response.ok) counts.ok += 1;
        else counts.failed += 1;
      } catch {
        report.unanswered += 1;
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
