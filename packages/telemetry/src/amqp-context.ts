/**
 * W3C trace context (`traceparent`, `tracestate`) in AMQP message headers.
 *
 * Not @opentelemetry/instrumentation-amqplib: amqp-connection-manager queues every publish and sends it
 * later from its own worker (after a reconnect, behind back-pressure, in batches of 1000), so a span made
 * inside amqplib's `publish` belongs to whichever caller happened to start that worker. Injecting at the
 * call site, in the caller's context, is exact.
 */
import { type Context, propagation, ROOT_CONTEXT, type TextMapGetter } from '@opentelemetry/api';
import { activeContext } from './sampled-context.js';

/** AMQP header table as amqplib takes and gives it. */
export type AmqpHeaders = Record<string, unknown>;

/** The parts of a delivered message (amqplib `ConsumeMessage`) that tracing reads. */
export interface DeliveredMessage {
  content: { length: number };
  fields: { exchange: string; routingKey: string; deliveryTag: number; redelivered: boolean };
  properties: { headers?: AmqpHeaders; messageId?: unknown; correlationId?: unknown };
}

const headerGetter: TextMapGetter<AmqpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => {
    const value = headers[key];
    if (typeof value === 'string') return value;
    // a header written by another client as a byte array
    if (Buffer.isBuffer(value)) return value.toString('utf8');
    return undefined;
  },
};

/**
 * Writes the trace context of `ctx` (default: the active one) into `headers` and returns them. A no-op when
 * tracing is off or nothing is being traced; call it on every publish anyway.
 */
export function injectAmqpHeaders<H extends AmqpHeaders>(headers: H = {} as H, ctx: Context = activeContext()): H {
  propagation.inject(ctx, headers);
  return headers;
}

/**
 * Whether the headers carry a `traceparent` whose sampled flag is set: the one check an untraced delivery
 * costs (the full parse, `extractAmqpContext`, only for sampled ones). The flags are the last two hex digits
 * of `00-<trace id>-<span id>-<flags>`; sampled is their lowest bit.
 */
export function sampledTraceparent(headers: AmqpHeaders | undefined): boolean {
  const value = headers?.traceparent;
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : undefined;
  if (text === undefined || text.length < 55) return false;
  const low = text.charCodeAt(54);
  const digit = low <= 57 ? low - 48 : (low | 0x20) - 87;
  return (digit & 1) === 1;
}

/**
 * The publisher's trace context from a delivered message's headers, on top of the root context: what ran
 * before in this process (another message's callback, a channel's setup) never becomes the parent.
 */
export function extractAmqpContext(msg: Pick<DeliveredMessage, 'properties'>): Context {
  const headers = msg.properties.headers;
  return headers ? propagation.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
}
