/**
 * PRODUCER and CONSUMER spans for RabbitMQ, after the OpenTelemetry messaging semantic conventions:
 * `<exchange> publish` / `<exchange> process`, `messaging.system=rabbitmq`, the exchange as
 * `messaging.destination.name`, the routing key, the operation, ids and sizes; never the body.
 *
 * One chat message is one trace: the publisher's span context travels in the message headers, and the
 * consumer's span is its child. These spans continue a sampled trace and never start one: a publish
 * outside a sampled trace makes no span and writes no header, and a delivery without a sampled
 * `traceparent` runs untraced, so an unsampled message costs no span, no header and no context switch on
 * any hop (`sampled-context.ts`).
 */
import { type Attributes, type Context, context, ROOT_CONTEXT, type Span, SpanKind, trace } from '@opentelemetry/api';
import {
  type AmqpHeaders,
  type DeliveredMessage,
  extractAmqpContext,
  injectAmqpHeaders,
  sampledTraceparent,
} from './amqp-context.js';
import { activeContext, carriedByHand, isSampled } from './sampled-context.js';
import {
  endWhenSettled,
  recordFailure,
  startSpan,
  type TraceContext,
  UNTRACED_SPAN,
  type WithSpanOptions,
  withSpan,
  withTraceContext,
} from './spans.js';

// Messaging attribute keys are still "development" in @opentelemetry/semantic-conventions (only in its
// `incubating` entry, which may change in a minor release); the conventions advise copying them.
export const MessagingAttr = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  subscription: 'messaging.destination.subscription.name',
  routingKey: 'messaging.rabbitmq.destination.routing_key',
  deliveryTag: 'messaging.rabbitmq.message.delivery_tag',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  bodySize: 'messaging.message.body.size',
} as const;

/** The default exchange has no name (`messaging.destination.name` is then ""); spans call it as RabbitMQ does. */
const exchangeLabel = (exchange: string) => exchange || 'amq.default';

export interface PublishTarget {
  exchange: string;
  routingKey: string;
  messageId?: string;
  correlationId?: string;
  /** bytes of the body (its size only; the body itself never goes into a span) */
  bodySize?: number;
}

function publishAttributes(target: PublishTarget): Attributes {
  const attributes: Attributes = {
    [MessagingAttr.system]: 'rabbitmq',
    [MessagingAttr.operationType]: 'send',
    [MessagingAttr.operationName]: 'publish',
    [MessagingAttr.destination]: target.exchange,
  };
  if (target.routingKey) attributes[MessagingAttr.routingKey] = target.routingKey;
  if (target.messageId) attributes[MessagingAttr.messageId] = target.messageId;
  if (target.correlationId) attributes[MessagingAttr.conversationId] = target.correlationId;
  if (target.bodySize !== undefined) attributes[MessagingAttr.bodySize] = target.bodySize;
  return attributes;
}

/**
 * Runs `publish` inside a PRODUCER span `<exchange> publish` and hands it a copy of `headers` with that
 * span's trace context added (`headers` itself is left as it is). The span ends when `publish` returns or,
 * on a confirm channel, when its promise settles (so it measures the broker's confirm). Outside a sampled
 * trace `publish` gets `headers` themselves.
 *
 *     await tracePublish({ exchange, routingKey }, (headers) => channel.publish(exchange, routingKey, body, { headers }));
 */
export function tracePublish<T>(
  target: PublishTarget,
  publish: (headers: AmqpHeaders) => T,
  headers: AmqpHeaders = {},
): T {
  if (!isSampled(activeContext())) return publish(headers);
  return withSpan(
    `${exchangeLabel(target.exchange)} publish`,
    { kind: SpanKind.PRODUCER, attributes: () => publishAttributes(target) },
    () => publish(injectAmqpHeaders({ ...headers })),
  );
}

function consumeAttributes(msg: DeliveredMessage, queue: string): Attributes {
  const { fields, properties } = msg;
  const attributes: Attributes = {
    [MessagingAttr.system]: 'rabbitmq',
    [MessagingAttr.operationType]: 'process',
    [MessagingAttr.operationName]: 'process',
    [MessagingAttr.destination]: fields.exchange,
    [MessagingAttr.subscription]: queue,
    [MessagingAttr.deliveryTag]: fields.deliveryTag,
    [MessagingAttr.bodySize]: msg.content.length,
  };
  if (fields.routingKey) attributes[MessagingAttr.routingKey] = fields.routingKey;
  if (typeof properties.messageId === 'string') attributes[MessagingAttr.messageId] = properties.messageId;
  if (typeof properties.correlationId === 'string') attributes[MessagingAttr.conversationId] = properties.correlationId;
  if (fields.redelivered) attributes['messaging.rabbitmq.message.redelivered'] = true;
  return attributes;
}

/** A CONSUMER span for one delivered message, open until the message is settled. */
export interface ConsumeSpan {
  readonly span: Span;
  /** the span's context: what work for this message runs in, and the parent of what it publishes */
  readonly context: Context;
  /** runs `fn` with this message's span active */
  run<T>(fn: () => T): T;
  /** ends the span (after ack/nack); with an error it is marked failed */
  end(error?: unknown): void;
}

export interface ConsumeSpanOptions {
  /**
   * The consumer hands the span's `context` to all the work for the message itself (the store, each
   * publication), so it is never made active across awaits (`carriedByHand`): sampled messages then
   * cost no AsyncLocalStorage either. Instrumented libraries called after an await see no parent.
   */
  carriedByHand?: boolean;
}

/**
 * Starts the CONSUMER span `<exchange> process` for `msg`, a child of the publisher's span, when the headers
 * carry a sampled trace context; otherwise the message is untraced. For consumers that settle messages
 * later than their callback returns (batching); others use `traceConsume`.
 */
export function startConsumeSpan(msg: DeliveredMessage, queue: string, options: ConsumeSpanOptions = {}): ConsumeSpan {
  if (!sampledTraceparent(msg.properties.headers)) return UNTRACED;
  const parent = extractAmqpContext(msg);
  if (!isSampled(parent)) return UNTRACED;
  const span = startSpan(
    `${exchangeLabel(msg.fields.exchange)} process`,
    { kind: SpanKind.CONSUMER, attributes: () => consumeAttributes(msg, queue) },
    parent,
  );
  const spanContext = trace.setSpan(parent, span);
  const ctx = options.carriedByHand ? carriedByHand(spanContext) : spanContext;
  let ended = false;
  return {
    span,
    context: ctx,
    run: (fn) => context.with(ctx, fn),
    end: (error?: unknown) => {
      if (ended) return;
      ended = true;
      if (error !== undefined) recordFailure(span, error);
      span.end();
    },
  };
}

/** Every message that is not traced: its work runs outside any sampled trace. */
const UNTRACED: ConsumeSpan = {
  span: UNTRACED_SPAN,
  context: ROOT_CONTEXT,
  run: (fn) => withTraceContext(ROOT_CONTEXT, fn),
  end: () => {},
};

/**
 * Runs a consumer callback for `msg` inside its CONSUMER span and ends the span when the callback returns
 * or its promise settles.
 */
export function traceConsume<T>(msg: DeliveredMessage, queue: string, handle: () => T): T {
  const consume = startConsumeSpan(msg, queue);
  if (consume === UNTRACED) return consume.run(handle);
  let result: T;
  try {
    result = consume.run(handle);
  } catch (error) {
    consume.end(error);
    throw error;
  }
  return endWhenSettled(consume.span, result);
}

/**
 * Work done once for several traces (one `insertMany` for a batch, one confirm wait): an INTERNAL span
 * (unless `options.kind` says otherwise) in the first of `traces` that is sampled, linked to the other
 * sampled ones, so each such trace reaches it. `fn` gets the span and its context, to hand on to work
 * after its awaits. When none is sampled the work runs untraced.
 */
export function withSharedSpan<T>(
  name: string,
  options: Omit<WithSpanOptions, 'parent' | 'links'>,
  traces: readonly (TraceContext | undefined)[],
  fn: (span: Span, trace: TraceContext | undefined) => T,
): T {
  const [first, ...rest] = traces.filter((t): t is TraceContext => t !== undefined && isSampled(t));
  if (!first) return withTraceContext(ROOT_CONTEXT, () => fn(UNTRACED_SPAN, undefined));
  return withSpan(
    name,
    {
      kind: SpanKind.INTERNAL,
      ...options,
      parent: first,
      links: rest.flatMap((t) => {
        const linked = trace.getSpanContext(t);
        return linked ? [{ context: linked }] : [];
      }),
    },
    (span) => fn(span, trace.setSpan(first, span)),
  );
}

/**
 * The batch of a consumer that handles messages together (`startConsumeSpan`): `withSharedSpan` in the
 * traces of its sampled members, with the batch's size.
 */
export function withBatchSpan<T>(
  name: string,
  members: readonly ConsumeSpan[],
  fn: (span: Span, trace: TraceContext | undefined) => T,
): T {
  return withSharedSpan(
    name,
    { attributes: { 'messaging.batch.message_count': members.length } },
    members.map((m) => (m.span.isRecording() ? m.context : undefined)),
    fn,
  );
}
