/**
 * What tracing should do, decided from the standard `OTEL_*` variables (this package is the one place
 * besides a service's config that reads them, because the SDK and its exporters read them too).
 * Pure: `startTelemetry` acts on the result.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class TelemetryConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'TelemetryConfigError';
  }
}

export type SamplerKind =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

const SAMPLERS: readonly SamplerKind[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

export interface SamplerSettings {
  kind: SamplerKind;
  /** fraction of new traces recorded; only for the `*traceidratio` kinds */
  ratio: number;
}

/** OTLP over HTTP; the encoding follows `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` (protobuf is the spec's default). */
export type OtlpHttpProtocol = 'http/protobuf' | 'http/json';

export type TracingSettings =
  | { enabled: false; reason: string }
  | { enabled: true; endpoint: string; protocol: OtlpHttpProtocol; sampler: SamplerSettings };

const value = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

function samplerSettings(env: Env): SamplerSettings {
  // Without OTEL_TRACES_SAMPLER: follow the caller's decision when there is one (so a trace is never cut in
  // half between services) and sample new traces by trace-id ratio, all of them unless the ratio says less.
  const kind = (value(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_traceidratio').toLowerCase();
  if (!SAMPLERS.includes(kind as SamplerKind)) {
    throw new TelemetryConfigError('OTEL_TRACES_SAMPLER', `must be one of ${SAMPLERS.join(', ')}, got "${kind}"`);
  }
  const arg = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  let ratio = 1;
  if (arg !== undefined && kind.endsWith('traceidratio')) {
    ratio = Number(arg);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
      throw new TelemetryConfigError('OTEL_TRACES_SAMPLER_ARG', `must be a number from 0 to 1, got "${arg}"`);
    }
  }
  return { kind: kind as SamplerKind, ratio };
}

function otlpEndpoint(env: Env): { variable: string; endpoint: string } | undefined {
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    const endpoint = value(env, variable);
    if (endpoint === undefined) continue;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new TelemetryConfigError(variable, `not a URL: "${endpoint}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TelemetryConfigError(variable, `expected an http(s) URL (OTLP/HTTP), got ${url.protocol}`);
    }
    return { variable, endpoint };
  }
  return undefined;
}

function otlpProtocol(env: Env): OtlpHttpProtocol {
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = value(env, variable);
    if (protocol === undefined) continue;
    if (protocol === 'http/protobuf' || protocol === 'http/json') return protocol;
    throw new TelemetryConfigError(variable, `must be http/protobuf or http/json (OTLP/HTTP), got "${protocol}"`);
  }
  return 'http/protobuf';
}

/** Throws `TelemetryConfigError` naming the variable on a bad value. */
export function tracingSettings(env: Env): TracingSettings {
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true')
    return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  const exporters = (value(env, 'OTEL_TRACES_EXPORTER') ?? 'otlp').split(',').map((s) => s.trim().toLowerCase());
  if (exporters.includes('none')) return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  const unsupported = exporters.filter((e) => e !== 'otlp');
  if (unsupported.length > 0) {
    throw new TelemetryConfigError(
      'OTEL_TRACES_EXPORTER',
      `only otlp or none are supported, got "${unsupported.join(',')}"`,
    );
  }
  const protocol = otlpProtocol(env);
  const sampler = samplerSettings(env);
  const target = otlpEndpoint(env);
  if (!target) return { enabled: false, reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT' };
  return { enabled: true, endpoint: target.endpoint, protocol, sampler };
}

/** One line for the start-up log. */
export function describeTracing(settings: TracingSettings): string {
  if (!settings.enabled) return `tracing off (${settings.reason})`;
  const { kind, ratio } = settings.sampler;
  const sampler = kind.endsWith('traceidratio') ? `${kind} ${ratio}` : kind;
  // origin and path only: an endpoint URL may carry credentials
  const url = new URL(settings.endpoint);
  return `tracing on: OTLP ${settings.protocol} to ${url.origin}${url.pathname}, sampler ${sampler}`;
}
