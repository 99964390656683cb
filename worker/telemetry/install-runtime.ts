// The SDK's runtime, set up once per process before any connection: its logger (and core's logs,
// forwarded to it) writes Ferry's log lines, and with FERRY_METRICS_ADDRESS it serves Prometheus
// metrics, the SDK's own (temporal_*) and Ferry's (ferry_*, from the workflows' metricMeter).
import { IllegalStateError } from '@temporalio/common';
import { Runtime, type Logger } from '@temporalio/worker';
import { FERRY_HISTOGRAM_BUCKETS } from '../../common/ferry-metrics';
import { InvalidInputError } from '../../common/problems';
import { ferryLogger } from './ferry-logger';
import type { TelemetrySettings } from './telemetry-settings';

export interface InstalledTelemetry {
  logger: Logger;
  /** Where /metrics is served, or undefined. */
  metricsAddress?: string;
  /** False when the runtime was someone else's (`ferry dev`'s): the worker then says its lines its own way. */
  ours: boolean;
}

let installed: { runtime: Runtime; telemetry: InstalledTelemetry } | undefined;

/**
 * Installs the runtime for these settings, or returns the one this process installed already
 * (`ferry dev` runs a worker per task queue on one runtime). A runtime someone else installed
 * first (`ferry dev`'s quiet one) is kept: its logger is used and no metrics are served.
 */
export function installTelemetry(settings: TelemetrySettings): InstalledTelemetry {
  // The SDK drops its runtime when the last worker and connection close; a later worker installs anew.
  if (installed && Runtime._instance === installed.runtime) return installed.telemetry;
  const logger = ferryLogger(settings.logLevel, settings.logFormat);
  try {
    const runtime = Runtime.install({
      logger,
      telemetryOptions: {
        // Core's own lines (connection retries, poll errors) through the same logger, at the same level.
        logging: { filter: { core: settings.logLevel, other: 'WARN' }, forward: {} },
        ...(settings.metricsAddress ? { metrics: { prometheus: { bindAddress: settings.metricsAddress, histogramBucketOverrides: FERRY_HISTOGRAM_BUCKETS } } } : {}),
      },
    });
    installed = { runtime, telemetry: { logger, metricsAddress: settings.metricsAddress, ours: true } };
    return installed.telemetry;
  } catch (error) {
    if (error instanceof IllegalStateError) return { logger: Runtime.instance().logger, ours: false };
    // What the runtime fails on is what it was given to bind (a port in use, an address not on this host).
    if (settings.metricsAddress === undefined) throw error;
    const why = String((error as Error).message)
      .split('\n')[0]
      .slice(0, 300);
    throw new InvalidInputError('the worker environment', [`FERRY_METRICS_ADDRESS: cannot serve metrics on ${settings.metricsAddress}: ${why}`]);
  }
}
