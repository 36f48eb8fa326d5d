import { describe, expect, it } from 'vitest';
import { describeTracing, TelemetryConfigError, tracingSettings } from './settings.js';

const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' };

describe('tracingSettings', () => {
  it('is off without an endpoint, whatever else is set', () => {
    expect(tracingSettings({})).toEqual({ enabled: false, reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT' });
    expect(tracingSettings({ OTEL_TRACES_SAMPLER_ARG: '0.5', OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }).enabled).toBe(false);
  });

  it('is off when disabled or exporting nowhere', () => {
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toMatchObject({ enabled: false });
    expect(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toMatchObject({ enabled: false });
  });

  it('defaults to OTLP http/protobuf and a parent-based ratio sampler recording every new trace', () => {
    expect(tracingSettings(endpoint)).toEqual({
      enabled: true,
      endpoint: 'http://jaeger:4318',
      protocol: 'http/protobuf',
      sampler: { kind: 'parentbased_traceidratio', ratio: 1 },
    });
  });

  it('takes the ratio, the sampler, the protocol and the traces-only endpoint from the standard variables', () => {
    const s = tracingSettings({
      ...endpoint,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    });
    expect(s).toEqual({
      enabled: true,
      endpoint: 'https://collector/v1/traces',
      protocol: 'http/json',
      sampler: { kind: 'traceidratio', ratio: 0.01 },
    });
    expect(
      tracingSettings({ ...endpoint, OTEL_TRACES_SAMPLER: 'always_off', OTEL_TRACES_SAMPLER_ARG: 'x' }),
    ).toMatchObject({
      sampler: { kind: 'always_off' },
    });
  });

  it.each([
    [{ OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG'],
    [{ OTEL_TRACES_SAMPLER_ARG: 'half' }, 'OTEL_TRACES_SAMPLER_ARG'],
    [{ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, 'OTEL_TRACES_SAMPLER'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://jaeger:4317' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
  ])('rejects %o naming the variable', (env, variable) => {
    const call = () => tracingSettings({ ...endpoint, ...env });
    expect(call).toThrow(TelemetryConfigError);
    expect(call).toThrow(new RegExp(`^${variable}: `));
  });
});

describe('describeTracing', () => {
  it('names the sampler and the endpoint without credentials', () => {
    const s = tracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:secret@collector:4318/x?k=v',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    });
    expect(describeTracing(s)).toBe(
      'tracing on: OTLP http/protobuf to https://collector:4318/x, sampler parentbased_traceidratio 0.01',
    );
    expect(describeTracing(tracingSettings({}))).toBe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)');
  });
});
