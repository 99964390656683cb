// End to end: `ferry envs` against a real Temporal dev server and a real worker, after real
// promotions of the example shop on the local target. What it says runs where is checked
// against what the shop's processes answer on each environment's port.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { stopLocalEnvironment } from '../../activities/targets/local/local-target';
import type { DevServer } from '../../client/dev/temporal-dev-server';
import { createFerryWorker } from '../../worker/create-worker';
import { AUTHORS, removeTempDirs, tempDir } from '../helpers/git-repo';
import { startTestDevServer } from '../helpers/dev-server';
import { commitShortPipelineRelease, freePort, shopRepo } from '../helpers/shop';
import { REPO_ROOT } from '../helpers/tools';

const FERRY = path.join(REPO_ROOT, 'bin', 'ferry.js');
// Two real promotions and a dozen `ferry` processes (each compiles the CLI) in one test, on a machine other tests share.
jest.setTimeout(300_000);
const stateDir = tempDir('e2e-envs');
const { repo } = shopRepo();
let server: DevServer;
let worker: Worker;
let connection: NativeConnection;
let running: Promise<void>;
let client: Client;
let ports: { dev: number; production: number };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ferry(args: string[], cwd = repo.dir): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FERRY, ...args], { cwd, env: { ...process.env, TEMPORAL_ADDRESS: server.address } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (const giveUpAt = Date.now() + 60_000; Date.now() < giveUpAt; await new Promise((r) => setTimeout(r, 250))) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The commit the shop's process on an environment's port says it runs. */
async function runningCommit(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/version`, { headers: { connection: 'close' } });
  return ((await response.json()) as { commit: string }).commit;
}

interface Row {
  app: string;
  environment: string;
  state: string;
  health: string;
  live: { sha: string; artifact: string; by: string; kind: string; requestedBy?: string; approvedBy: string[]; wentLiveAt: string } | null;
  lastAttempt: { sha: string; outcome: string; by: string } | null;
  holder: string | null;
  queue: string[];
  waitingForApproval: string[];
}

async function matrix(args: string[] = []): Promise<Row[]> {
  const run = await ferry(['envs', '-o', 'json', ...args]);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as Row[];
}
const row = (rows: Row[], environment: string) => rows.find((r) => r.app === 'shop' && r.environment === environment)!;

/** spring is live everywhere; summer is live in dev and waits for production's approval. Set by the first promotions' test. */
let spring: string;
let summer: string;
const promotionOf = (sha: string) => `ferry-shop-${sha.slice(0, 7)}`;

beforeAll(async () => {
  ports = { dev: await freePort(), production: await freePort() };
  server = await startTestDevServer();
  connection = await NativeConnection.connect({ address: server.address });
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  worker = await createFerryWorker({ connection, client, namespace: 'default', taskQueue: 'ferry', activities: { stateDir } });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  for (const [environment, port] of Object.entries(ports ?? {})) {
    await stopLocalEnvironment({ kind: 'local', start: '', port, healthPath: '/healthz', startTimeout: 1 }, { stateDir, app: 'shop', environment });
  }
  await client?.connection.close();
  await connection?.close();
  await server?.stop();
  removeTempDirs();
});

test("before anything ran: the config's environments, none released; an unknown app exits 3 naming the known ones", async () => {
  commitShortPipelineRelease(repo, 'empty', ports, '2s');
  const table = await ferry(['envs']);
  expect(table).toMatchObject({ code: 0, stderr: '' });
  expect(table.stdout.split('\n').slice(1, 3)).toEqual([expect.stringMatching(/^shop\s+dev\s+no release yet$/), expect.stringMatching(/^shop\s+production\s+no release yet$/)]);

  const unknown = await ferry(['envs', '--app', 'moon']);
  expect(unknown).toMatchObject({ code: 3, stderr: 'no environments of app "moon": Ferry knows shop\n' });
  // Elsewhere, without a config and before any lock: nothing at all.
  const nowhere = tempDir('no-config');
  expect(await ferry(['envs'], nowhere)).toMatchObject({ code: 0, stdout: 'no environments yet: nothing has been promoted\n' });
  expect(await ferry(['envs', '--app', 'moon'], nowhere)).toMatchObject({ code: 3, stderr: 'no environments of app "moon": Ferry knows no app yet\n' });
});

test('after promotions: each environment runs the version the matrix shows (table, JSON, Mermaid), production names its approver and the promotion waiting there', async () => {
  spring = commitShortPipelineRelease(repo, 'spring', ports, '2s');
  const springId = promotionOf(spring);
  const springRun = ferry(['start', '--ref', spring, '--wait', '--as', 'ci-bot']);
  await waitFor('spring to wait for production', async () => {
    const approved = await ferry(['approve', springId, '--env', 'production', '--as', 'olivia']);
    return approved.code === 0 ? approved : undefined;
  });
  expect((await springRun).code).toBe(0);

  summer = commitShortPipelineRelease(repo, 'summer', ports, '2s');
  const summerId = promotionOf(summer);
  expect((await ferry(['start', '--ref', summer, '--as', 'ci-bot'])).code).toBe(0);
  // Visibility follows the workflows a moment later: wait until the list shows summer waiting.
  const rows = await waitFor('summer to wait for production in the matrix', async () => {
    const m = await matrix();
    return row(m, 'production').waitingForApproval.length > 0 && row(m, 'dev').live?.sha === summer ? m : undefined;
  });

  const dev = row(rows, 'dev');
  const production = row(rows, 'production');
  expect(rows.map((r) => `${r.app}/${r.environment}`)).toEqual(['shop/dev', 'shop/production']);
  expect(dev).toMatchObject({
    state: 'live',
    health: 'live',
    live: { sha: summer, artifact: `shop:${summer.slice(0, 7)}`, by: summerId, kind: 'promotion', requestedBy: 'ci-bot', approvedBy: [] },
    holder: null,
    queue: [],
  });
  expect(production).toMatchObject({
    state: 'live',
    live: { sha: spring, artifact: `shop:${spring.slice(0, 7)}`, by: springId, kind: 'promotion', requestedBy: 'ci-bot', approvedBy: ['olivia'] },
    lastAttempt: null,
    waitingForApproval: [summerId],
  });
  // What the ledger says runs is what runs.
  expect(await runningCommit(ports.dev)).toBe(dev.live!.sha);
  expect(await runningCommit(ports.production)).toBe(production.live!.sha);

  const table = await ferry(['envs', '--app', 'shop']);
  expect(table).toMatchObject({ code: 0, stderr: '' });
  const lines = table.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^APP\s+ENVIRONMENT\s+VERSION\s+AGE\s+STATE\s+WAITING FOR APPROVAL$/);
  expect(lines[1]).toMatch(new RegExp(`^shop\\s+dev\\s+${summer.slice(0, 7)} shop:${summer.slice(0, 7)}\\s+\\d+[sm] ago\\s+live$`));
  expect(lines[2]).toMatch(new RegExp(`^shop\\s+production\\s+${spring.slice(0, 7)} shop:${spring.slice(0, 7)}\\s+\\d+[sm] ago\\s+live\\s+${summerId}$`));
  expect(lines).toHaveLength(3);

  const mermaid = await ferry(['envs', '-o', 'mermaid']);
  expect(mermaid.code).toBe(0);
  const chart = mermaid.stdout.trimEnd().split('\n');
  expect(chart.slice(0, 3)).toEqual(['```mermaid', 'flowchart LR', '    app1(["shop"])']);
  expect(chart[3]).toMatch(new RegExp(`^    app1 --> env1\\["dev<br/>${summer.slice(0, 7)} shop:${summer.slice(0, 7)}<br/>live #183; \\d+[sm] ago"\\]:::live$`));
  expect(chart[4]).toMatch(new RegExp(`^    app1 --> env2\\["production<br/>${spring.slice(0, 7)} .*<br/>waiting for approval: ${summerId}"\\]:::live$`));
  expect(chart.at(-1)).toBe('```');
});

test('one environment lists its releases newest first, with who asked and who approved, and the promotion waiting there; an unknown one exits 3', async () => {
  const [springId, summerId] = [promotionOf(spring), promotionOf(summer)];
  const production = row(await matrix(), 'production');
  const releases = await ferry(['envs', 'shop', 'production']);
  expect(releases).toMatchObject({ code: 0, stderr: '' });
  const [head, header, live, ...rest] = releases.stdout.trimEnd().split('\n');
  expect(head).toMatch(new RegExp(`^shop production: live ${spring.slice(0, 7)} shop:${spring.slice(0, 7)} since ${production.live!.wentLiveAt} \\(\\d+[sm] ago\\)$`));
  expect(header).toMatch(/^SHA\s+ARTIFACT\s+KIND\s+WENT LIVE\s+BY\s+REQUESTED BY\s+APPROVED BY\s+REASON\s+MIGRATIONS$/);
  expect(live.split(/\s{2,}/).slice(0, 3)).toEqual([spring.slice(0, 7), `shop:${spring.slice(0, 7)}`, 'promotion']);
  expect(live).toMatch(new RegExp(`\\s${springId}\\s+ci-bot\\s+olivia(\\s|$)`));
  expect(rest).toEqual([`waiting for approval: ${summerId}`]);

  const devReleases = JSON.parse((await ferry(['envs', 'shop', 'dev', '--json'])).stdout);
  expect(devReleases).toMatchObject({ lockId: 'ferry-lock/shop/dev', app: 'shop', environment: 'dev', queue: [], waitingForApproval: [] });
  expect(devReleases.releases.map((r: { sha: string }) => r.sha)).toEqual([summer, spring]);

  const unknownEnv = await ferry(['envs', 'shop', 'moon']);
  expect(unknownEnv).toMatchObject({ code: 3, stderr: 'app "shop" has no environment "moon": it has dev, production\n' });
});

test('environments in the order of a config given with -c (one it lists that never went live included), else as they first went live; summer goes live in production once approved', async () => {
  // The order: a config's, else when each environment first went live.
  const reversed = path.join(tempDir('reversed'), 'ferry.config.yaml');
  const local = (port: number) => `{ kind: local, start: "node server.js", port: ${port} }`;
  fs.writeFileSync(
    reversed,
    `app: shop\nrepo: ${repo.dir}\nbuild: { command: "true" }\nenvironments:\n` +
      [
        ['production', 40_101],
        ['staging', 40_102],
        ['dev', 40_103],
      ]
        .map(([name, port]) => `  - name: ${name}\n    target: ${local(port as number)}\n`)
        .join(''),
  );
  const ordered = await ferry(['envs', '-c', reversed, '-o', 'json']);
  expect(ordered.code).toBe(0);
  expect(JSON.parse(ordered.stdout).map((r: Row) => `${r.environment}:${r.state}`)).toEqual(['production:live', 'staging:no release yet', 'dev:live']);
  const byFirstRelease = await ferry(['envs', '--json'], tempDir('no-config'));
  expect(JSON.parse(byFirstRelease.stdout).map((r: Row) => r.environment)).toEqual(['dev', 'production']);

  expect((await ferry(['approve', promotionOf(summer), '--env', 'production', '--as', 'sam'])).code).toBe(0);
  const after = await waitFor('summer to go live in production', async () => {
    const m = await matrix();
    return row(m, 'production').live?.sha === summer ? m : undefined;
  });
  expect(row(after, 'production')).toMatchObject({ live: { approvedBy: ['sam'] }, waitingForApproval: [], holder: null });
  expect(await runningCommit(ports.production)).toBe(summer);
});

test('a release that fails in dev is rolled back: the matrix shows the live version and the try that did not go live', async () => {
  expect(await runningCommit(ports.dev)).toBe(summer);
  const crash = repo.commit('A release that cannot start', AUTHORS.linus, {
    'ferry.config.yaml': fs
      .readFileSync(path.join(repo.dir, 'ferry.config.yaml'), 'utf8')
      .replace('start: "node server.js", port: ' + ports.dev, `start: "node -e 'process.exit(3)'", port: ${ports.dev}`),
  });
  const failed = await ferry(['start', '--ref', crash, '--to', 'dev', '--wait']);
  expect(failed.code).toBe(1);

  const dev = row(await matrix(), 'dev');
  expect(dev).toMatchObject({ live: { sha: summer }, lastAttempt: { sha: crash, outcome: 'rolled-back', by: `ferry-shop-${crash.slice(0, 7)}` }, health: 'live' });
  expect(dev.state).toMatch(new RegExp(`^${crash.slice(0, 7)} rolled back`));
  expect(await runningCommit(ports.dev)).toBe(summer);

  const releases = await ferry(['envs', 'shop', 'dev']);
  expect(releases.stdout).toMatch(new RegExp(`^last failed attempt: ${crash.slice(0, 7)} shop:${crash.slice(0, 7)} \\(promotion ferry-shop-${crash.slice(0, 7)}\\) at .* rolled-back`, 'm'));
});

test("a lock whose worker is gone is shown as unknown and exits 1, after the query's deadline, without hiding the others", async () => {
  // A lock on a task queue no worker polls: its ledger query can never be answered.
  const ghost = await client.workflow.start('environmentLock', { workflowId: 'ferry-lock/shop/canary', taskQueue: 'no-worker-polls-this', args: [{ queue: [] }] });
  try {
    await waitFor('the ghost lock to be listed', async () => ((await ferry(['envs', '--json'])).stdout.includes('"canary"') ? true : undefined));
    const run = await ferry(['envs']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^shop\s+canary\s+unknown: no worker answered ferry-lock\/shop\/canary's ledger query/m);
    expect(run.stdout).toMatch(/^shop\s+dev\s+[0-9a-f]{7} shop:[0-9a-f]{7}\s+\d+[sm] ago\s+\S/m);
    expect(run.stderr).toContain("ferry envs: shop canary: no worker answered ferry-lock/shop/canary's ledger query");
    // One environment: the others are listed, not asked.
    expect(await ferry(['envs', 'shop', 'dev'])).toMatchObject({ code: 0, stderr: '' });
    const one = await ferry(['envs', 'shop', 'canary']);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/^shop canary: no worker answered ferry-lock\/shop\/canary's ledger query/);
  } finally {
    await ghost.terminate('test done');
  }
});
