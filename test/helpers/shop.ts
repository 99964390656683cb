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

export { startTraffic, type TrafficReport } from '../../client/demo/traffic';
