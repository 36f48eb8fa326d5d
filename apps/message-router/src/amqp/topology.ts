/** Declaring the broker objects the router owns or publishes to (docs/internals.md). */
import { inboundQueueArguments, type Topology } from '@coffeechat/contracts';
import type { Channel } from 'amqplib';

/** Exchanges the router publishes to, and the dead-letter exchange with its queue. Idempotent. */
export async function declareShared(ch: Channel, t: Topology): Promise<void> {
  await ch.assertExchange(t.inboundExchange, 'direct', { durable: true });
  await ch.assertExchange(t.deliveryExchange, 'direct', { durable: true });
  await ch.assertExchange(t.eventsExchange, 'topic', { durable: true });
  await ch.assertExchange(t.deadLetterExchange, 'fanout', { durable: true });
  await ch.assertQueue(t.deadQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(t.deadQueue, t.deadLetterExchange, '');
}

/** One partition's quorum queue (single active consumer, delivery limit, DLX) bound to its key. */
export async function declarePartition(ch: Channel, t: Topology, partition: number): Promise<string> {
  const queue = t.inboundQueue(partition);
  await ch.assertExchange(t.inboundExchange, 'direct', { durable: true });
  await ch.assertQueue(queue, { durable: true, arguments: inboundQueueArguments(t.deadLetterExchange) });
  await ch.bindQueue(queue, t.inboundExchange, t.partitionKey(partition));
  return queue;
}
