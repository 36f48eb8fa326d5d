/**
 * Starts OpenTelemetry tracing for one service process: OTLP over HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT`,
 * a parent-based ratio sampler, W3C trace context (`traceparent`/`tracestate` only: no baggage, which no
 * service uses), a context manager that propagates only sampled work (`sampled-context.ts`), and the
 * official instrumentations. Without an endpoint nothing is started and the tracing API stays a no-op.
 *
 * Must run before the service imports anything it wants traced: each service's `src/instrument.ts` calls it
 * and is the first import of `main.ts` (see `INSTRUMENTED_PACKAGES` for why that suffices on Node 20 ESM
 * without `node --import`, which every launcher would have to remember).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { SamplingDecision } from '@opentelemetry/api';
import { createInstrumentations, INSTRUMENTED_PACKAGES } from './instrumentations.js';
import { SampledContextManager, SampledSpanTracker } from './sampled-context.js';
import {
  describeTracing,
  type Env,
  type SamplerSettings,
  TelemetryConfigError,
  type TracingSettings,
  tracingSettings,
} from './settings.js';
import { rootDecidedSampled, setRootRatio, setSamplingFollowsParent } from './span-policy.js';

type SdkNode = typeof import('@opentelemetry/sdk-node');
type TraceBase = typeof import('@opentelemetry/sdk-trace-base');
type Resources = typeof import('@opentelemetry/resources');
type Core = typeof import('@opentelemetry/core');
type Sampler = import('@opentelemetry/sdk-trace-base').Sampler;
type SpanExporter = import('@opentelemetry/sdk-trace-base').SpanExporter;

export interface Telemetry {
  readonly enabled: boolean;
  /** one line for the start-up log, e.g. `tracing on: OTLP http/json to …, sampler parentbased_traceidratio 0.01` */
  readonly description: string;
  /** Exports the spans still buffered and stops the SDK; the last step of graceful shutdown. Never throws. */
  shutdown(): Promise<void>;
}

export interface StartOptions {
  /** the variables to read (default `process.env`) */
  env?: Env;
  /**
   * A file or `file:` URL of the service (its `import.meta.url`): the instrumented packages are loaded from
   * there, so they are the copies the service itself imports. Default: the process's entry script.
   */
  resolveFrom?: string;
  /** bound on the final export at shutdown (default 3 s, well inside the 10 s shutdown budget) */
  shutdownTimeoutMs?: number;
  /**
   * Whether the trace context follows async work by itself (AsyncLocalStorage while a sampled trace is
   * being worked on; default true). false: only synchronously, for a service whose code carries it past
   * its awaits (`activeTraceContext`, `withTraceContext`) and whose instrumented libraries need none.
   */
  asyncContext?: boolean;
}

// Only this module's own code loads the SDK, and only when tracing is on: a process without an endpoint
// then never pays for loading it (the SDK and its exporters take most of a second to load on small machines).
const load = createRequire(import.meta.url);

function configuredSampler(settings: SamplerSettings): Sampler {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = load(
    '@opentelemetry/sdk-trace-base',
  ) as TraceBase;
  const root = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(settings.ratio),
  };
  switch (settings.kind) {
    case 'always_on':
    case 'always_off':
    case 'traceidratio':
      return root[settings.kind]();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: root.always_on() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: root.always_off() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: root.traceidratio() });
  }
}

/** The probability that a new trace is sampled under `settings` (what `withSpan` decides up front). */
export function rootRatioOf(settings: SamplerSettings): number {
  if (settings.kind.endsWith('always_on')) return 1;
  if (settings.kind.endsWith('always_off')) return 0;
  return settings.ratio;
}

/**
 * The configured sampler, except for root spans whose trace `withSpan` already decided to sample
 * (`span-policy.ts`): their decision stands, so a trace is sampled with the configured ratio either way.
 */
function sampler(settings: SamplerSettings): Sampler {
  const configured = configuredSampler(settings);
  return {
    shouldSample: (...args) =>
      rootDecidedSampled() ? { decision: SamplingDecision.RECORD_AND_SAMPLED } : configured.shouldSample(...args),
    toString: () => configured.toString(),
  };
}

function exporter(protocol: 'http/protobuf' | 'http/json'): SpanExporter {
  // Both read the endpoint, headers, timeout and compression from the OTEL_EXPORTER_OTLP_* variables.
  const module =
    protocol === 'http/json' ? '@opentelemetry/exporter-trace-otlp-http' : '@opentelemetry/exporter-trace-otlp-proto';
  const { OTLPTraceExporter } = load(module) as typeof import('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter();
}

function preloadInstrumented(resolveFrom: string | undefined): void {
  if (!resolveFrom) return;
  const scope = createRequire(resolveFrom.startsWith('file:') ? resolveFrom : pathToFileURL(resolveFrom));
  for (const name of INSTRUMENTED_PACKAGES) {
    try {
      scope(name);
    } catch (err) {
      // a service that does not depend on the package has nothing to instrument there
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
}

function startSdk(
  settings: Extract<TracingSettings, { enabled: true }>,
  serviceName: string,
  version: string,
  asyncContext: boolean,
) {
  const { NodeSDK } = load('@opentelemetry/sdk-node') as SdkNode;
  const { BatchSpanProcessor } = load('@opentelemetry/sdk-trace-base') as TraceBase;
  const { defaultResource, resourceFromAttributes } = load('@opentelemetry/resources') as Resources;
  const { W3CTraceContextPropagator } = load('@opentelemetry/core') as Core;
  const contextManager = new SampledContextManager({ async: asyncContext });
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are merged over these by the SDK's env detector
    resource: defaultResource().merge(
      resourceFromAttributes({ 'service.name': serviceName, 'service.version': version }),
    ),
    sampler: sampler(settings.sampler),
    contextManager,
    textMapPropagator: new W3CTraceContextPropagator(),
    // batch size and delay from OTEL_BSP_*
    spanProcessors: [new SampledSpanTracker(contextManager), new BatchSpanProcessor(exporter(settings.protocol))],
    // metrics are Prometheus (prom-client) and logs are pino on stdout; without these empty lists the SDK
    // would also start OTLP metric and log exporters towards the trace endpoint
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [createInstrumentations(load)],
  });
  sdk.start();
  return sdk;
}

const OFF: Telemetry = { enabled: false, description: 'tracing not started', shutdown: async () => {} };
let current = OFF;

/**
 * The process's tracing as `startTelemetry` left it: a service's `instrument.ts` starts it as a side-effect
 * import (so import sorting cannot move it below other imports), and `main.ts` takes the handle from here.
 */
export function currentTelemetry(): Telemetry {
  return current;
}

/**
 * Reads the settings, starts the SDK when an endpoint is configured, and returns the handle for shutdown.
 * A bad `OTEL_*` value stops the process with one line naming the variable, like every other setting.
 */
export function startTelemetry(serviceName: string, version: string, options: StartOptions = {}): Telemetry {
  const { env = process.env, resolveFrom = process.argv[1], shutdownTimeoutMs = 3000, asyncContext = true } = options;
  let settings: TracingSettings;
  try {
    settings = tracingSettings(env);
  } catch (err) {
    if (!(err instanceof TelemetryConfigError)) throw err;
    process.stderr.write(`config error: ${err.message}\n`);
    process.exit(1);
  }
  const description = describeTracing(settings);
  if (!settings.enabled) {
    // nothing can be sampled: frames skip even the tracing API's no-op calls
    setRootRatio(0);
    current = { enabled: false, description, shutdown: async () => {} };
    return current;
  }
  const sdk = startSdk(settings, serviceName, version, asyncContext);
  setSamplingFollowsParent(settings.sampler.kind.startsWith('parentbased_'));
  setRootRatio(rootRatioOf(settings.sampler));
  preloadInstrumented(resolveFrom);
  let stopped: Promise<void> | undefined;
  current = {
    enabled: true,
    description,
    shutdown: () => {
      stopped ??= Promise.race([
        sdk.shutdown().catch(() => {}),
        new Promise<void>((resolve) => setTimeout(resolve, shutdownTimeoutMs).unref()),
      ]);
      return stopped;
    },
  };
  return current;
}
