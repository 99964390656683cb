import net from 'node:net';
import { InvalidInputError } from '../../common/problems';
import { formatJson, formatText } from '../../worker/telemetry/ferry-logger';
import { telemetrySettings } from '../../worker/telemetry/telemetry-settings';

describe('telemetrySettings', () => {
  it('serves no metrics, logs at INFO, as JSON unless stderr is a terminal, by default', () => {
    expect(telemetrySettings({}, false)).toEqual({ metricsAddress: undefined, logLevel: 'INFO', logFormat: 'json' });
    expect(telemetrySettings({}, true)).toEqual({ metricsAddress: undefined, logLevel: 'INFO', logFormat: 'text' });
    expect(telemetrySettings({ FERRY_METRICS_ADDRESS: '', FERRY_LOG_LEVEL: '', FERRY_LOG_FORMAT: '' }, false)).toEqual({ metricsAddress: undefined, logLevel: 'INFO', logFormat: 'json' });
  });

  it.each(['0.0.0.0:9464', '127.0.0.1:1', '10.1.2.3:65535', '[::]:9464', '[::1]:9464', '[fe80::1]:9464'])('takes %s as FERRY_METRICS_ADDRESS', (address) => {
    expect(telemetrySettings({ FERRY_METRICS_ADDRESS: address }, false).metricsAddress).toBe(address);
  });

  it.each([
    ['9464', /"9464" is not host:port/],
    [':9464', /is not host:port/],
    ['0.0.0.0', /is not host:port/],
    ['0.0.0.0:0', /port 0 is not between 1 and 65535/],
    ['0.0.0.0:65536', /port 65536 is not between 1 and 65535/],
    ['0.0.0.0:99999', /port 99999 is not between/],
    ['::1:9464', /is not host:port/],
    // The SDK binds IP addresses only: a name fails there with "invalid socket address syntax".
    ['localhost:9464', /"localhost" is not an IP address \(e\.g\. 0\.0\.0\.0:9464, 127\.0\.0\.1:9464 or \[::\]:9464\)/],
    ['worker.internal:9464', /is not an IP address/],
    ['256.1.1.1:9464', /is not an IP address/],
    ['[::g]:9464', /is not an IP address/],
    ['http://0.0.0.0:9464', /is not host:port/],
    ['0.0.0.0:9464/metrics', /is not host:port/],
    [`${'a'.repeat(301)}:9464`, /FERRY_METRICS_ADDRESS: /],
  ])('refuses FERRY_METRICS_ADDRESS=%s, naming the variable', (address, message) => {
    expect(() => telemetrySettings({ FERRY_METRICS_ADDRESS: address }, false)).toThrow(InvalidInputError);
    expect(() => telemetrySettings({ FERRY_METRICS_ADDRESS: address }, false)).toThrow(/FERRY_METRICS_ADDRESS: /);
    expect(() => telemetrySettings({ FERRY_METRICS_ADDRESS: address }, false)).toThrow(message);
  });

  it('takes a log level in any case, and refuses an unknown one naming the variable', () => {
    expect(telemetrySettings({ FERRY_LOG_LEVEL: 'debug' }, false).logLevel).toBe('DEBUG');
    expect(telemetrySettings({ FERRY_LOG_LEVEL: 'Warn' }, false).logLevel).toBe('WARN');
    expect(() => telemetrySettings({ FERRY_LOG_LEVEL: 'verbose' }, false)).toThrow(/FERRY_LOG_LEVEL: must be one of trace, debug, info, warn, error/);
  });

  it('lets FERRY_LOG_FORMAT override the terminal guess, and refuses anything but json and text', () => {
    expect(telemetrySettings({ FERRY_LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
    expect(telemetrySettings({ FERRY_LOG_FORMAT: 'text' }, false).logFormat).toBe('text');
    expect(() => telemetrySettings({ FERRY_LOG_FORMAT: 'logfmt' }, false)).toThrow(/FERRY_LOG_FORMAT: must be json or text/);
  });

  it('takes a log format in any case, as the log level', () => {
    expect(telemetrySettings({ FERRY_LOG_FORMAT: 'JSON' }, true).logFormat).toBe('json');
    expect(telemetrySettings({ FERRY_LOG_FORMAT: 'Text' }, false).logFormat).toBe('text');
  });
});

describe('installTelemetry', () => {
  it('a metrics address the runtime cannot bind (in use) is bad input naming FERRY_METRICS_ADDRESS', async () => {
    const { installTelemetry } = await import('../../worker/telemetry/install-runtime');
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const address = `127.0.0.1:${(taken.address() as net.AddressInfo).port}`;
      let thrown: unknown;
      try {
        installTelemetry({ metricsAddress: address, logLevel: 'WARN', logFormat: 'json' });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidInputError);
      expect((thrown as Error).message).toMatch(new RegExp(`FERRY_METRICS_ADDRESS: cannot serve metrics on ${address.replace(/\./g, '\\.')}: `));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe('log line formats', () => {
  const entry = {
    level: 'INFO' as const,
    message: 'deploy succeeded',
    timestampNanos: 1_767_225_600_123_000_000n,
    meta: { promotion: 'ferry-shop-abc1234', environment: 'dev', step: 'deploy', error: new Error('boom'), [Symbol.for('log_timestamp')]: 1n },
  };

  it('errors keep their causes (messages) and, in JSON, their stack', () => {
    const error = new Error('deploy failed', { cause: new Error('rollout timed out', { cause: new Error('pod crash-looping') }) });
    const json = JSON.parse(formatJson({ ...entry, meta: { error } }));
    expect(json.error).toEqual({ name: 'Error', message: 'deploy failed', causes: ['rollout timed out', 'pod crash-looping'], stack: expect.stringContaining('telemetry-settings.test.ts') });
    expect(formatText({ ...entry, meta: { error } })).toContain('error={"name":"Error","message":"deploy failed","causes":["rollout timed out","pod crash-looping"]}');
  });

  it('JSON: one object, time, level and msg first, then the attributes; errors as their message', () => {
    const line = formatJson(entry);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      time: '2026-01-01T00:00:00.123Z',
      level: 'INFO',
      msg: 'deploy succeeded',
      promotion: 'ferry-shop-abc1234',
      environment: 'dev',
      step: 'deploy',
      error: { name: 'Error', message: 'boom', stack: expect.stringMatching(/^Error: boom\n/) },
    });
    expect(Object.keys(JSON.parse(line)).slice(0, 3)).toEqual(['time', 'level', 'msg']);
  });

  it('text: time, level, message, then key=value', () => {
    expect(formatText(entry)).toBe('2026-01-01T00:00:00.123Z INFO  deploy succeeded  promotion=ferry-shop-abc1234 environment=dev step=deploy error={"name":"Error","message":"boom"}');
  });
});
