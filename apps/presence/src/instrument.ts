/**
 * Tracing, started before the rest of the service loads: main.ts imports this module first, so the
 * libraries the service imports afterwards are the instrumented ones (see @coffeechat/telemetry).
 */
import { packageVersion, startTelemetry } from '@coffeechat/telemetry';

startTelemetry('presence', packageVersion(import.meta.url), { resolveFrom: import.meta.url });
