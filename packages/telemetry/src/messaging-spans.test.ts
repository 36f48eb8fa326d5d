/**
 * Trace context across a real RabbitMQ: publish with `tracePublish`, consume with `traceConsume` /
 * `startConsumeSpan`, and check the spans, their parent links and attributes (in-process tracer, with the
 * context manager the services run).
 */
import { servers, uniqueNamespace } from '@coffeechat/testkit';
import { context, propagation, ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import amqplib, { type ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { extractAmqpContext, injectAmqpHeaders } from './amqp-context.js';
import { startConsumeSpan, traceConsume, tracePublish, withBatchSpan, withSharedSpan } from './messaging-spans.js';
import { SampledContextManager, SampledSpanTracker } from './sampled-context.js';
import { setSamplingFollowsParent } from './span-policy.js';
import { withSpan } from './spans.js';

const exporter = new InMemorySpanExporter();
const ns = uniqueNamespace('otel');
const exchange = `${ns}.x`;
const queue = `${ns}.q`;
let connection: amqplib.ChannelModel;
let channel: amqplib.ConfirmChannel;

beforeAll(async () => {
  const manager = new SampledContextManager();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SampledSpanTracker(manager), new SimpleSpanProcessor(exporter)] }),
  );
  connection = await amqplib.connect(servers.amqpUrl);
  channel = await connection.createConfirmChannel();
  await channel.assertExchange(exchange, 'direct', { autoDelete: true });
  await channel.assertQueue(queue, { exclusive: true });
  await channel.bindQueue(queue, exchange, 'k');
});

afterAll(async () => {
  await channel?.deleteExchange(exchange).catch(() => {});
  await connection?.close();
  trace.disable();
  propagation.disable();
  context.disable();
});

beforeEach(() => exporter.reset());

function nextMessage(): Promise<ConsumeMessage> {
  return new Promise((resolve) => {
    void channel.consume(queue, (msg) => {
      if (!msg) return;
      channel.ack(msg);
      void channel.cancel(msg.fields.consumerTag);
      resolve(msg);
    });
  });
}

/** The next `count` messages of the test queue (acked later by the caller when `ack` is false). */
function nextMessages(count: number, ack: boolean): Promise<ConsumeMessage[]> {
  const messages: ConsumeMessage[] = [];
  return new Promise((resolve) => {
    void channel.consume(queue, (msg) => {
      if (!msg) return;
      messages.push(msg);
      if (ack) channel.ack(msg);
      if (messages.length === count) void channel.cancel(msg.fields.consumerTag).then(() => resolve(messages));
    });
  });
}

/** Publishes a message to the test queue from inside a span named `spanName`, with its trace context. */
async function sendTraced(spanName: string): Promise<void> {
  await withSpan(spanName, {}, () =>
    tracePublish({ exchange, routingKey: 'k' }, (headers) =>
      channel.publish(exchange, 'k', Buffer.from('x'), { headers }),
    ),
  );
}

const secretBody = Buffer.from('{"body":"a private chat line","token":"eyJhbGciOi"}');

describe('trace context through AMQP headers', () => {
  it('makes the consumer span a child of the publish span, which is a child of the sender’s span', async () => {
    const received = nextMessage();
    await withSpan('ws send receive', { kind: SpanKind.SERVER }, () =>
      tracePublish({ exchange, routingKey: 'k', bodySize: secretBody.length, messageId: 'm-1' }, (headers) =>
        channel.publish(exchange, 'k', secretBody, { headers: { ...headers, 'x-room-id': 'r1' }, messageId: 'm-1' }),
      ),
    );
    const msg = await received;
    expect(msg.properties.headers?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(msg.properties.headers?.['x-room-id']).toBe('r1');
    await traceConsume(msg, queue, async () => {
      await withSpan('store', {}, async () => {});
    });

    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    const [root, publish, process, store] = [
      'ws send receive',
      `${exchange} publish`,
      `${exchange} process`,
      'store',
    ].map(byName);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(publish!.parentSpanContext?.spanId).toBe(root!.spanContext().spanId);
    expect(process!.parentSpanContext?.spanId).toBe(publish!.spanContext().spanId);
    expect(store!.parentSpanContext?.spanId).toBe(process!.spanContext().spanId);
    expect(publish!.kind).toBe(SpanKind.PRODUCER);
    expect(process!.kind).toBe(SpanKind.CONSUMER);
    expect(publish!.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'send',
      'messaging.destination.name': exchange,
      'messaging.rabbitmq.destination.routing_key': 'k',
      'messaging.message.id': 'm-1',
      'messaging.message.body.size': secretBody.length,
    });
    expect(process!.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'process',
      'messaging.destination.name': exchange,
      'messaging.destination.subscription.name': queue,
      'messaging.rabbitmq.destination.routing_key': 'k',
    });
    // no body, no token, in any attribute
    const everything = JSON.stringify(spans.map((s) => s.attributes));
    expect(everything).not.toContain('private chat line');
    expect(everything).not.toContain('eyJhbGciOi');
  });

  it('starts no trace and injects nothing when nothing is being traced', async () => {
    const headers = injectAmqpHeaders({ 'x-seq': 3 });
    expect(headers).toEqual({ 'x-seq': 3 });
    const ctx = extractAmqpContext({ properties: { headers } });
    expect(trace.getSpanContext(ctx)).toBeUndefined();
    // a publish outside a trace: no span, the headers as they were
    const received = nextMessage();
    await tracePublish(
      { exchange, routingKey: 'k' },
      (h) => channel.publish(exchange, 'k', Buffer.from('x'), { headers: h }),
      {
        'x-seq': 4,
      },
    );
    const msg = await received;
    expect(msg.properties.headers).toEqual({ 'x-seq': 4 });
    // and its delivery is untraced: no consumer span either
    await traceConsume(msg, queue, () => undefined);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('ignores the ambient context: a consumer callback never becomes a child of unrelated work', async () => {
    const received = nextMessage();
    await sendTraced('sender');
    const msg = await received;
    const publish = exporter.getFinishedSpans().find((s) => s.name === `${exchange} publish`)!;
    exporter.reset();
    await withSpan('unrelated', {}, () => traceConsume(msg, queue, () => undefined));
    const process = exporter.getFinishedSpans().find((s) => s.name === `${exchange} process`)!;
    expect(process.spanContext().traceId).toBe(publish.spanContext().traceId);
    expect(process.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
  });

  it('keeps each message in its own trace through a batch, with the batch work linked to all', async () => {
    const all = nextMessages(2, false);
    for (const n of [1, 2]) await sendTraced(`sender ${n}`);
    const messages = await all;
    const consumed = messages.map((m) => startConsumeSpan(m, queue));
    await withBatchSpan('store batch', consumed, async () => {});
    for (const [i, c] of consumed.entries()) {
      // what the router publishes per message continues that message's trace
      await c.run(() =>
        tracePublish({ exchange: '', routingKey: queue }, (headers) =>
          channel.sendToQueue(`${ns}.nowhere`, Buffer.from('x'), { headers }),
        ),
      );
      channel.ack(messages[i]!);
      c.end();
    }
    const spans = exporter.getFinishedSpans();
    const senders = [1, 2].map((n) => spans.find((s) => s.name === `sender ${n}`)!);
    const processes = spans.filter((s) => s.name === `${exchange} process`);
    const replies = spans.filter((s) => s.name === 'amq.default publish');
    const batch = spans.find((s) => s.name === 'store batch')!;
    expect(processes.map((s) => s.spanContext().traceId)).toEqual(senders.map((s) => s.spanContext().traceId));
    expect(replies.map((s) => s.parentSpanContext?.spanId)).toEqual(processes.map((s) => s.spanContext().spanId));
    expect(replies[0]!.attributes['messaging.destination.name']).toBe('');
    expect(batch.parentSpanContext?.spanId).toBe(processes[0]!.spanContext().spanId);
    expect(batch.links.map((l) => l.context.spanId)).toEqual([processes[1]!.spanContext().spanId]);
    expect(batch.attributes['messaging.batch.message_count']).toBe(2);
  });

  it('hands a consumer that carries the trace by hand the contexts to continue after its awaits', async () => {
    const all = nextMessages(3, true);
    for (const n of [1, 2]) await sendTraced(`sender ${n}`);
    // and one from outside any trace
    channel.publish(exchange, 'k', Buffer.from('x'));
    const messages = await all;
    const consumed = messages.map((m) => startConsumeSpan(m, queue, { carriedByHand: true }));
    const seen = await withBatchSpan('store batch', consumed, async (_span, batchTrace) => {
      await new Promise((resolve) => setImmediate(resolve));
      // past the await nothing is active: the trace goes on by hand
      const afterAwait = trace.getSpan(context.active());
      await withSharedSpan('insert messages', { kind: SpanKind.CLIENT }, [undefined, batchTrace], async () => {});
      return afterAwait;
    });
    for (const c of consumed) c.end();
    expect(seen).toBeUndefined();
    const spans = exporter.getFinishedSpans();
    const processes = spans.filter((s) => s.name === `${exchange} process`);
    const batch = spans.find((s) => s.name === 'store batch')!;
    const insert = spans.find((s) => s.name === 'insert messages')!;
    expect(processes).toHaveLength(2);
    expect(batch.parentSpanContext?.spanId).toBe(processes[0]!.spanContext().spanId);
    expect(batch.attributes['messaging.batch.message_count']).toBe(3);
    expect(insert.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
    expect(insert.kind).toBe(SpanKind.CLIENT);
    expect(insert.links).toEqual([]);
  });

  it('marks a failed consume with the error class only', async () => {
    const received = nextMessage();
    await sendTraced('sender');
    const msg = await received;
    await expect(
      traceConsume(msg, queue, async () => {
        throw Object.assign(new Error('user u-42 said hello'), { code: 'NOT_A_MEMBER' });
      }),
    ).rejects.toThrow();
    const process = exporter.getFinishedSpans().find((s) => s.name === `${exchange} process`)!;
    expect(process.status.code).toBe(2);
    expect(process.attributes['error.type']).toBe('NOT_A_MEMBER');
    expect(JSON.stringify([process.attributes, process.status, process.events])).not.toContain('u-42');
  });

  it('under a parent-based sampler, makes no span and writes no header below a not-sampled parent', async () => {
    setSamplingFollowsParent(true);
    try {
      const unsampled = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.NONE,
      });
      const received = nextMessage();
      await context.with(unsampled, () =>
        tracePublish({ exchange, routingKey: 'k' }, (headers) =>
          channel.publish(exchange, 'k', Buffer.from('x'), { headers }),
        ),
      );
      const msg = await received;
      // downstream, no trace context is as good as a not-sampled one: it starts no trace either
      expect(msg.properties.headers?.traceparent).toBeUndefined();
      const consumed = startConsumeSpan(msg, queue);
      expect(consumed.span.isRecording()).toBe(false);
      await withBatchSpan('store batch', [consumed], async () => {});
      consumed.end();
      await context.with(unsampled, () => withSpan('child', {}, async () => {}));
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      setSamplingFollowsParent(false);
    }
  });

  it("follows another client's traceparent: sampled, a child span; not sampled, untraced", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    for (const flags of ['01', '00']) {
      const received = nextMessage();
      channel.publish(exchange, 'k', Buffer.from('x'), {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-${flags}` },
      });
      await channel.waitForConfirms();
      await traceConsume(await received, queue, () => undefined);
    }
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.spanContext().traceId, s.parentSpanContext?.spanId])).toEqual([
      [`${exchange} process`, traceId, '00f067aa0ba902b7'],
    ]);
  });
});
