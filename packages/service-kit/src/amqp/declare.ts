/**
 * Declaring broker objects the same way in every service: exchanges with the type their topology in
 * `packages/contracts` gives them (durable), and the dead-letter exchange + quorum queue pairs.
 */
import type { Exchange } from '@coffeechat/contracts';
import type { Channel } from 'amqplib';

export async function declareExchanges(ch: Channel, ...exchanges: readonly Exchange[]): Promise<void> {
  for (const { name, type } of exchanges) await ch.assertExchange(name, type, { durable: true });
}

/** A (fanout) dead-letter exchange and the quorum queue that keeps what lands on it. */
export async function declareDeadLetters(ch: Channel, exchange: Exchange, queue: string): Promise<void> {
  await declareExchanges(ch, exchange);
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(queue, exchange.name, '');
}
