/** Declaring the broker objects the router owns or publishes to (docs/internals.md). */
import { inboundQueueArguments, type Topology } from '@coffeechat/contracts';
import { declareDeadLetters, declareExchanges } from '@coffeechat/service-kit';
import type { Channel } from 'amqplib';

/** Exchanges the router publishes to, and the dead-letter exchange with its queue. Idempotent. */
export async function declareShared(ch: Channel, t: Topology): Promise<void> {
  await declareExchanges(ch, t.exchanges.inbound, t.exchanges.delivery, t.exchanges.events);
  await declareDeadLetters(ch, t.exchanges.deadLetter, t.deadQueue);
}

/** One partition's quorum queue (single active consumer, delivery limit, DLX) bound to its key. */
export async function declarePartition(ch: Channel, t: Topology, partition: number): Promise<string> {
  const queue = t.inboundQueue(partition);
  await declareExchanges(ch, t.exchanges.inbound);
  await ch.assertQueue(queue, { durable: true, arguments: inboundQueueArguments(t.deadLetterExchange) });
  await ch.bindQueue(queue, t.inboundExchange, t.partitionKey(partition));
  return queue;
}
