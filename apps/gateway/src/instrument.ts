/**
 * Tracing, started before the rest of the service loads: main.ts imports this module first, so the
 * libraries the service imports afterwards are the instrumented ones (see @coffeechat/telemetry).
 */
import { packageVersion, startTelemetry } from '@coffeechat/telemetry';

// No async context: a frame's trace context is carried past its awaits by the modules that publish for
// it (protocol.ts, room-joins.ts, sends-in-flight.ts: activeTraceContext/withTraceContext), so the gateway pays no AsyncLocalStorage hooks on its promises,
// which cost it about a tenth of its CPU per typing frame while any sampled trace was open.
startTelemetry('gateway', packageVersion(import.meta.url), { resolveFrom: import.meta.url, asyncContext: false });
