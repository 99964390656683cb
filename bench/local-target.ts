// The local target's costs, each as a ratio to a baseline measured in the same run:
// - canary 10 → 50 → 100 and the rollbacks, against a plain rolling deploy of the same app;
// - a request through the environment's proxy, against the same request straight to the app.
import { performance } from 'node:perf_hooks';
import { localTarget, stopLocalEnvironment, type LocalTargetConfig } from '../activities/targets/local/local-target';
import { StateFile } from '../activities/targets/local/state';
import { removeTempDirs, tempDir } from '../test/helpers/git-repo';
import { freePort, shopRepo } from '../test/helpers/shop';

const ROUNDS = 5;
const REQUESTS = 2_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

async function main(): Promise<void> {
  const { repo, shas } = shopRepo();
  const stateDir = tempDir('bench');
  const config: LocalTargetConfig = { kind: 'local', start: 'node server.js', port: await freePort(), healthPath: '/healthz', startTimeout: 30_000 };
  const where = { stateDir, app: 'shop', environment: 'bench' };
  const target = (sha: string) => localTarget(config, { ...where, strategy: 'canary', source: { repo: repo.dir, sha } });
  const v = (sha: string) => `shop:${sha.slice(0, 7)}`;
  try {
    await target(shas.spring).deploy(v(shas.spring)); // warm-up: release folders and the proxy
    const rolling: number[] = [];
    const canary: number[] = [];
    const rollbackCanary: number[] = [];
    const rollbackRolling: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      rolling.push(await timed(() => target(shas.summer).deploy(v(shas.summer))));
      rollbackRolling.push(await timed(() => target(shas.summer).rollback(v(shas.summer))));
      canary.push(
        await timed(async () => {
          for (const weight of [10, 50]) await target(shas.summer).setCanaryWeight(v(shas.summer), weight);
          await target(shas.summer).promote(v(shas.summer));
        }),
      );
      await target(shas.summer).rollback(v(shas.summer));
    }
    for (let i = 0; i < ROUNDS; i++) {
      await target(shas.broken).setCanaryWeight(v(shas.broken), 10);
      rollbackCanary.push(await timed(() => target(shas.broken).rollback(v(shas.broken))));
    }

    const direct = (await new StateFile(`${stateDir}/shop/bench/state.json`).read()).stable!.port;
    const perRequest = async (port: number) => {
      const ms = await timed(async () => {
        for (let i = 0; i < REQUESTS; i++) await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
      });
      return ms / REQUESTS;
    };
    await perRequest(config.port);
    const straight = median(await Promise.all([0, 1, 2].map(() => perRequest(direct))));
    const proxied = median(await Promise.all([0, 1, 2].map(() => perRequest(config.port))));

    const r = median(rolling);
    const line = (name: string, xs: number[]) => console.log(`${name.padEnd(42)} median ${median(xs).toFixed(0).padStart(5)} ms  ${(median(xs) / r).toFixed(2)}x baseline`);
    console.log(`local target, ${ROUNDS} rounds each (shop app, real processes)`);
    line('rolling deploy (baseline)', rolling);
    line('canary 10 → 50 → 100, no pauses or analysis', canary);
    line('rollback of a rolling deploy (restart old)', rollbackRolling);
    line('rollback of a canary at 10%', rollbackCanary);
    console.log(
      `request straight to the app ${(straight * 1000).toFixed(0)} µs, through the proxy ${(proxied * 1000).toFixed(0)} µs: ` +
        `${(proxied / straight).toFixed(2)}x (${REQUESTS} sequential requests, 3 clients)`,
    );
  } finally {
    await stopLocalEnvironment(config, where);
    removeTempDirs();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
