// When Ferry traces: the OpenTelemetry spec's variables, except that nothing set means no tracing.
import { tracingSettings } from '../../common/tracing-settings';
import { InvalidInputError } from '../../common/problems';

const problemsOf = (env: NodeJS.ProcessEnv) => {
  try {
    tracingSettings(env);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.message;
    throw error;
  }
  throw new Error('no error');
};

describe('tracingSettings', () => {
  test('nothing set, or only unrelated OTEL_* variables: no tracing', () => {
    expect(tracingSettings({})).toBeUndefined();
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'ferry-ci', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined();
  });

  test('an OTLP endpoint turns tracing on, with the spec default protocol http/protobuf', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ protocol: 'http/protobuf' });
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toEqual({ protocol: 'http/protobuf' });
  });

  test('OTEL_TRACES_EXPORTER=otlp turns it on without an endpoint (the exporter then uses the spec default)', () => {
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({ protocol: 'http/protobuf' });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: ' OTLP ' })).toEqual({ protocol: 'http/protobuf' });
  });

  test('OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true win over an endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'otlp,none' })).toBeUndefined();
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toBeUndefined();
    // Only "true" disables, as the spec says of its booleans.
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'false' })).toEqual({ protocol: 'http/protobuf' });
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: '1' })).toEqual({ protocol: 'http/protobuf' });
  });

  test('the traces protocol variable wins over the general one', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' };
    expect(tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toEqual({ protocol: 'grpc' });
    expect(tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })).toEqual({ protocol: 'http/json' });
  });

  test('bad values are named, and an endpoint is never echoed (it may carry credentials)', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(problemsOf({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' })).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL: .*grpc.*http\/protobuf.*http\/json/);
    expect(problemsOf({ ...endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' })).toMatch(/OTEL_EXPORTER_OTLP_TRACES_PROTOCOL/);
    expect(problemsOf({ OTEL_TRACES_EXPORTER: 'zipkin' })).toMatch(/OTEL_TRACES_EXPORTER: .*otlp or none.*zipkin/);
    const bad = problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'user:hunter2@collector' });
    expect(bad).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT: must be a URL/);
    expect(bad).not.toContain('hunter2');
    expect(problemsOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'x'.repeat(3000) })).toMatch(/OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/);
  });
});
