/**
 * The official instrumentations every service runs (HTTP, express, MongoDB, ioredis), configured so spans
 * carry no bodies, values or tokens, and health/metrics polling makes no traces. AMQP is not here: trace
 * context crosses the broker through `amqp-context.ts` (see there for why not instrumentation-amqplib).
 */
import type { IncomingMessage } from 'node:http';
import type { Instrumentation } from '@opentelemetry/instrumentation';

type Http = typeof import('@opentelemetry/instrumentation-http');
type Express = typeof import('@opentelemetry/instrumentation-express');
type MongoDb = typeof import('@opentelemetry/instrumentation-mongodb');
type IoRedis = typeof import('@opentelemetry/instrumentation-ioredis');

/**
 * The instrumented CommonJS packages. ESM links all of a service's static imports before any of its code
 * runs, and Node loads a CommonJS package imported from ESM without going through `require`, which is where
 * these instrumentations hook in. `startTelemetry` therefore `require`s them itself right after the SDK
 * starts, from the service's own resolution scope: the patched module then sits in the CommonJS cache, and
 * the service's later `import` gets that same patched instance.
 */
export const INSTRUMENTED_PACKAGES = ['express', 'ioredis', 'mongodb'] as const;

const PROBES = /^\/(healthz|readyz|metrics)(\?|$)/;

export function createInstrumentations(require: NodeJS.Require): Instrumentation[] {
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as Http;
  const { ExpressInstrumentation, ExpressLayerType } = require('@opentelemetry/instrumentation-express') as Express;
  const { MongoDBInstrumentation } = require('@opentelemetry/instrumentation-mongodb') as MongoDb;
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as IoRedis;
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req: IncomingMessage) => PROBES.test(req.url ?? ''),
      // an outgoing request is only worth a span inside some traced work
      requireParentforOutgoingSpans: true,
    }),
    // Route handlers only: a span per middleware layer (JSON parser, auth) costs more than it tells.
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
    // Default statement serializer replaces every value by '?': no message bodies in spans.
    new MongoDBInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    // The command name only: arguments may be cached post bodies.
    new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
  ];
}
