/**
 * The presence exchanges and queues the input side owns (the shared input queue of what gateways send,
 * its exchange, and the dead letters): declared by the input consumer's channel set-up, and by tests
 * that publish before a presence replica runs.
 */
import { type PresenceTopology, presenceInputQueueArguments } from '@coffeechat/contracts';
import { declareDeadLetters, declareExchanges } from '@coffeechat/service-kit';
import type { Channel } from 'amqplib';

export async function declareInputTopology(channel: Channel, names: PresenceTopology): Promise<void> {
  await declareDeadLetters(channel, names.exchanges.deadLetter, names.deadQueue);
  await declareExchanges(channel, names.exchanges.input);
  await channel.assertQueue(names.inputQueue, {
    durable: true,
    arguments: presenceInputQueueArguments(names.deadLetterExchange),
  });
  await channel.bindQueue(names.inputQueue, names.inputExchange, '');
}
