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

/**
 * A release of the shop with a pipeline short enough for a real server's real clock: dev rolls,
 * production waits for olivia or sam. For the end-to-end tests of the `ferry` command.
 */
export function commitShortPipelineRelease(repo: TestRepo, name: string, ports: { dev: number; production: number }, stabilize: string): string {
  return repo.commit(`Release ${name}`, AUTHORS.grace, {
    'release.json': `{ "name": "${name}", "failRate": 0 }\n`,
    'ferry.config.yaml': `app: shop
repo: .
artifact: "shop:{shortSha}"
build: { command: node --check server.js }
test: { command: node test.js }
environments:
  - name: dev
    target: { kind: local, start: "node server.js", port: ${ports.dev} }
    stabilize: ${stabilize}
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
  - name: production
    target: { kind: local, start: "node server.js", port: ${ports.production} }
    stabilize: ${stabilize}
    healthCheckInterval: 1s
    analysis: { http: [{ path: /healthz }] }
    approval: { required: 1, approvers: [olivia, sam] }
`,
  });
}
