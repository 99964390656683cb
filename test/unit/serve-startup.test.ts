// `ferry dev` and `ferry worker` check every variable their workers read before they start
// anything: no dev server, PostgreSQL or Prometheus listener for a worker that would then refuse.
import { CliExit } from '../../client/exit-codes';

const started: string[] = [];
jest.mock('../../client/dev/dev-services', () => ({ startDevServices: () => void started.push('dev services') }));
jest.mock('../../worker/telemetry/install-runtime', () => ({ installTelemetry: () => void started.push('runtime') }));

const BAD = { FERRY_LOG_LEVEL: 'verbose', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', FERRY_SHUTDOWN_GRACE: 'soon' };

async function refusal(run: () => Promise<unknown>): Promise<CliExit> {
  const saved = { ...process.env };
  Object.assign(process.env, BAD);
  try {
    await run();
  } catch (error) {
    return error as CliExit;
  } finally {
    for (const name of Object.keys(BAD)) if (saved[name] === undefined) delete process.env[name];
  }
  throw new Error('expected a refusal');
}

beforeEach(() => (started.length = 0));

test.each([
  ['ferry dev', async () => (await import('../../client/commands/serve')).dev({ config: ['examples/shop/ferry.config.yaml'] }, () => undefined)],
  ['ferry worker', async () => (await import('../../client/commands/serve')).worker({}, () => undefined, { address: '127.0.0.1:1' })],
])('%s: FERRY_LOG_*, OTEL_* and the worker variables refused together, exit 2, before anything starts', async (_name, run) => {
  const error = await refusal(run);
  expect(error).toBeInstanceOf(CliExit);
  expect(error.code).toBe(2);
  expect(error.message).toMatch(/FERRY_LOG_LEVEL: /);
  expect(error.message).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT: /);
  expect(error.message).toMatch(/FERRY_SHUTDOWN_GRACE: /);
  expect(started).toEqual([]);
});
