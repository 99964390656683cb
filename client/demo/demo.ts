// `npm run demo`: on a fresh clone, promote the sample shop through dev → staging → production
// on this machine, with real migrations, backups, processes, tests and traffic, and stop at
// production's approval (`--yes` approves by itself); then promote a release with a broken
// checkout that staging's end-to-end test catches and rolls back. Ends with a summary and exit 0
// when both ended as they should.
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Command } from 'commander';
import { z } from 'zod';
import { decideUpdate } from '../../common/messages';
import type { FerryConfig } from '../../common/config-schema';
import { buildPlan, promotionWorkflowId } from '../../common/plan';
import type { EnvironmentState, PromotionStatus } from '../../common/status';
import { createFerryWorker } from '../../worker/create-worker';
import { startDevServices } from '../dev/dev-services';
import { CliExit, ExitCode } from '../exit-codes';
import { parseFlags } from '../flags';
import { follow } from '../follow';
import { loadConfig } from '../load-config';
import { exitWhenFlushed } from '../exit';
import { hasStatus, type Outcome } from '../outcome';
import { outcomeTable } from '../status-table';
import { checkLedgers } from './ledger-check';
import { commitShopRelease } from './shop-repository';
import { startTraffic } from './traffic';
import { startWebhookReceiver } from './webhook-receiver';

const APPROVER = 'release-manager';
const log = (line: string) => console.log(line);

const demoFlags = z.object({
  yes: z.boolean().default(false),
  dir: z.string().min(1).default('.ferry'),
  port: z.coerce.number().int().min(1024).max(65535).default(7233),
  uiPort: z.coerce.number().int().min(1024).max(65535).default(8233),
});

function approvalInstructions(status: PromotionStatus, uiUrl: string, address: string): string {
  const link = `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(status.workflowId)}`;
  const json = JSON.stringify({ environment: 'production', approver: 'your-name', comment: 'looks good' });
  const envPrefix = address === '127.0.0.1:7233' ? '' : `TEMPORAL_ADDRESS=${address} `;
  return [
    '',
    '━━ production waits for approval ━━',
    `  Web UI:  ${link}`,
    `           → "Send a Signal", signal name: approve, input:`,
    `           ${json}`,
    `  or:      ${envPrefix}npx ferry approve ${status.workflowId} --env production --as your-name`,
    `  (reject: signal "reject" with {"environment":"production","approver":"your-name","reason":"…"})`,
    '',
  ].join('\n');
}

/** What the demo promotes, in order, and how each promotion should end. */
interface DemoRelease {
  name: string;
  sha: string;
  /** The state each environment must end in. */
  expect: Record<string, EnvironmentState>;
  /** What the reader is told before it starts. */
  story: string;
}

async function main(argv: string[]): Promise<number> {
  const options = new Command('demo').option('--yes', 'approve production by itself').option('--dir <dir>').option('--port <port>').option('--ui-port <port>').parse(argv).opts();
  const flags = parseFlags(demoFlags, options);
  const startedAt = Date.now();
  const dir = path.resolve(flags.dir);
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const good = commitShopRelease(path.join(dir, 'shop'), `demo-${stamp}`);
  const broken = commitShopRelease(path.join(dir, 'shop'), `demo-${stamp}-broken-checkout`, { checkoutBroken: true });
  const releases: DemoRelease[] = [
    { name: `demo-${stamp}`, sha: good.sha, expect: { dev: 'succeeded', staging: 'succeeded', production: 'succeeded' }, story: 'a good release, tested at every stage' },
    {
      name: `demo-${stamp}-broken-checkout`,
      sha: broken.sha,
      expect: { dev: 'succeeded', staging: 'rolled-back', production: 'skipped' },
      story: "a release whose checkout is broken: traffic analysis cannot see it, staging's end-to-end test does, and staging rolls back",
    },
  ];
  const config = loadConfig(good.configFile);
  log(`Ferry demo: promoting ${config.app} through ${config.environments.map((e) => e.name).join(' → ')}, twice`);

  // The worker's own log is for operators; the demo prints the promotion's progress instead.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const notifications = await startWebhookReceiver((text) => log(`  📣 webhook: ${text}`));
  for (const env of config.environments) if (env.notify) process.env[env.notify.webhookEnv] ??= notifications.url;
  const services = await startDevServices({ dir, port: flags.port, uiPort: flags.uiPort, configs: [config], log });
  // Some users on every environment (about 40 requests a second each), so canary analysis has traffic to judge.
  const users = config.environments.flatMap((e) => (e.target.kind === 'local' ? [startTraffic(`http://127.0.0.1:${e.target.port}/`, 2, 50)] : []));
  try {
    const address = services.temporal.address;
    const connection = await NativeConnection.connect({ address });
    const client = new Client({ connection: await Connection.connect({ address }) });
    try {
      const worker = await createFerryWorker({ connection, client, namespace: 'default', taskQueue: config.taskQueue, activities: { stateDir: services.stateDir } });
      const { outcomes, ledgerProblem } = await worker.runUntil(async () => {
        const ended: Outcome[] = [];
        for (const release of releases) ended.push(await promote(client, config, release, services.temporal.uiUrl, address, flags.yes));
        const promoted = ended.map((outcome, i) => ({ ...releases[i], ended: Object.fromEntries((hasStatus(outcome) ? outcome.environments : []).map((e) => [e.name, e.state])) }));
        // The locks answer on this worker's queue: asked while it still runs.
        return {
          outcomes: ended,
          ledgerProblem: await checkLedgers(
            client,
            config.app,
            config.environments.map((e) => e.name),
            promoted,
            log,
          ),
        };
      });
      const traffic = await Promise.all(users.map((u) => u.stop()));
      outcomes.forEach((status, i) => log(`\n${releases[i].name}:\n${outcomeTable(status)}`));
      // Answers by a version; before an environment's first deploy its proxy has none to offer.
      const byVersions = traffic.flatMap((t) =>
        Object.entries(t.byVersion)
          .filter(([version]) => version !== '(none)')
          .map(([, c]) => c),
      );
      const answered = byVersions.reduce((n, c) => n + c.ok + c.failed, 0);
      const failed = byVersions.reduce((n, c) => n + c.failed, 0);
      log(`\nusers sent ${answered} requests to the running versions while it ran; ${failed} failed`);
      log(
        `demo took ${((Date.now() - startedAt) / 1000).toFixed(1)} s; the history stays in ${path.join(flags.dir, 'temporal.db')} (npx ferry dev --config ${path.relative(process.cwd(), good.configFile)} to browse it)`,
      );
      outcomes.forEach((outcome, i) => {
        const unexpected = unexpectedEnd(outcome, releases[i].expect);
        if (unexpected) throw new CliExit(ExitCode.Failed, `${releases[i].name}: ${unexpected}`);
      });
      if (ledgerProblem) throw new CliExit(ExitCode.Failed, ledgerProblem);
      return ExitCode.Done;
    } finally {
      await client.connection.close();
      await connection.close();
    }
  } finally {
    await Promise.all(users.map((u) => u.stop()));
    await services.stop();
    await notifications.close();
  }
}

/** What went otherwise than the demo promised, or undefined. */
function unexpectedEnd(outcome: Outcome, expect: Record<string, EnvironmentState>): string | undefined {
  if (!hasStatus(outcome)) return `the promotion ended ${outcome.state}: ${outcome.reason ?? ''}`;
  const wrong = outcome.environments.filter((env) => expect[env.name] !== undefined && env.state !== expect[env.name]);
  if (wrong.length === 0) return undefined;
  return wrong.map((env) => `${env.name} ended ${env.state}, not ${expect[env.name]}${env.error ? ` (${env.error})` : ''}`).join('; ');
}

/** Starts one release's promotion and follows it to its end, approving production when told to. */
async function promote(client: Client, config: FerryConfig, release: DemoRelease, uiUrl: string, address: string, approve: boolean): Promise<Outcome> {
  const plan = buildPlan(config, { sha: release.sha, ref: 'main', requestedBy: os.userInfo().username });
  const workflowId = promotionWorkflowId(plan.app, plan.sha);
  log(`\n━━ ${release.name}: ${release.story} ━━`);
  await client.workflow.start('promotion', { taskQueue: config.taskQueue, workflowId, args: [plan] });
  log(`started ${workflowId} — watch it in the Web UI: ${uiUrl}/namespaces/default/workflows/${workflowId}`);
  let asked = false;
  return follow(client, workflowId, (line) => log(`  ${line}`), {
    onStatus: async (current) => {
      const production = current.environments.find((e) => e.name === 'production');
      if (asked || production?.state !== 'waiting' || !production.approval) return;
      asked = true;
      log(approvalInstructions(current, uiUrl, address));
      if (!approve) return log('waiting for your decision (Ctrl-C stops the demo; the promotion waits in the dev server)');
      log(`--yes: approving as ${APPROVER}`);
      await client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, {
        args: [{ decision: 'approve', environment: 'production', approver: APPROVER, comment: 'approved by npm run demo -- --yes' }],
      });
    },
  });
}

main(process.argv).then(exitWhenFlushed, (error: unknown) => {
  console.error(error instanceof CliExit ? error.message : error);
  exitWhenFlushed(error instanceof CliExit ? error.code : ExitCode.Failed);
});
