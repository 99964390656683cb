// Everything a worker reads from its environment, checked together before anything starts (a
// dev server, PostgreSQL, the Prometheus listener, a connection): every problem in one go.
import { InvalidInputError } from '../common/problems';
import { tracingSettings, type TracingSettings } from '../common/tracing-settings';
import type { ConnectionFlags } from '../client/connection/temporal-connection';
import { workerSettings, type WorkerSettings } from './connection-options';
import { telemetrySettings, type TelemetrySettings } from './telemetry/telemetry-settings';

export interface StartupSettings {
  worker: WorkerSettings;
  telemetry: TelemetrySettings;
  tracing: TracingSettings | undefined;
}

export function startupSettings(env: NodeJS.ProcessEnv = process.env, connectionFlags: ConnectionFlags = {}): StartupSettings {
  const problems: string[] = [];
  const checked = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const worker = checked(() => workerSettings(env, connectionFlags));
  const telemetry = checked(() => telemetrySettings(env));
  const tracing = checked(() => tracingSettings(env));
  if (problems.length > 0) throw new InvalidInputError('the worker environment', problems);
  return { worker: worker!, telemetry: telemetry!, tracing };
}
