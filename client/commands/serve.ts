// `ferry worker` (one task queue against any Temporal) and `ferry dev` (everything on this machine).
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import type { FerryConfig } from '../../common/config-schema';
import { workerSettings } from '../../worker/connection-options';
import { runWorker } from '../../worker/run-worker';
import { startupSettings } from '../../worker/startup-settings';
import { ExitCode } from '../exit-codes';
import { asBadInput, parseFlags } from '../flags';
import type { ConnectionFlags } from '../connection/temporal-connection';

const workerFlags = z.object({ taskQueue: z.string().min(1).optional() });

/** `connection`: the global --address, --namespace and --profile. */
export async function worker(options: unknown, print: (line: string) => void, connection: ConnectionFlags = {}) {
  const flags = parseFlags(workerFlags, options);
  let settings;
  try {
    settings = startupSettings({ ...process.env, ...(flags.taskQueue ? { FERRY_TASK_QUEUE: flags.taskQueue } : {}) }, connection);
  } catch (error) {
    asBadInput(error);
  }
  await runWorker(settings.worker, print, settings.telemetry, settings.tracing);
  return ExitCode.Done;
}

const port = z.coerce.number().int().min(1024).max(65535);
const devFlags = z.object({
  config: z.array(z.string().min(1)).default(['ferry.config.yaml']),
  dir: z.string().min(1).default('.ferry'),
  port: port.default(7233),
  uiPort: port.default(8233),
});

/** Every task queue the configs use: the dev worker serves them all. */
export const taskQueuesOf = (configs: FerryConfig[]) => [...new Set(configs.flatMap((c) => [c.taskQueue, ...c.environments.map((e) => e.taskQueue ?? c.taskQueue)]))];

export async function dev(options: unknown, print: (line: string) => void) {
  const flags = parseFlags(devFlags, options);
  // Only `ferry dev` reads configs (yaml) and starts servers: `ferry worker` does not load them.
  const [{ loadConfig }, { startDevServices }] = await Promise.all([import('../load-config'), import('../dev/dev-services')]);
  let configs: FerryConfig[] = [];
  let checked;
  try {
    configs = flags.config.map(loadConfig);
    // The workers' variables (logs, tracing, shutdown grace...) before the servers start.
    checked = startupSettings(process.env, { localOnly: true });
  } catch (error) {
    asBadInput(error);
  }
  // The SDK's INFO lines (bundling, state changes) would drown what `ferry dev` has to say.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const services = await startDevServices({ dir: flags.dir, port: flags.port, uiPort: flags.uiPort, configs, log: print });
  try {
    const env = { ...process.env, TEMPORAL_ADDRESS: services.temporal.address, FERRY_STATE_DIR: services.stateDir };
    print(`Temporal Web UI: ${services.temporal.uiUrl}   (gRPC ${services.temporal.address})`);
    print(`PostgreSQL: ${services.postgres.url().replace(/:[^:@/]*@/, ':***@')}`);
    print('Ctrl-C stops the worker, the servers and the apps the local environments run.');
    // The SDK stops workers on SIGINT/SIGTERM; the servers are stopped once the workers are done.
    await Promise.all(
      taskQueuesOf(configs).map((taskQueue) =>
        runWorker(workerSettings({ ...env, FERRY_TASK_QUEUE: taskQueue }, { localOnly: true, address: services.temporal.address }), print, checked.telemetry, checked.tracing),
      ),
    );
  } finally {
    print('stopping the local environments, PostgreSQL and the Temporal dev server');
    await services.stop();
  }
  return ExitCode.Done;
}
