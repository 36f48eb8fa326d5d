/**
 * Declaring broker objects the same way in every service: exchanges with the type their topology in
 * `packages/contracts` gives them (durable), quorum queues (replicated over a cluster: they survive the
 * loss of a node, where a classic durable queue lives on one node and is gone with it), and the
 * dead-letter exchange + quorum queue pairs.
 */
import type { Exchange } from '@coffeechat/contracts';
import type { AmqpConnectionManager } from 'amqp-connection-manager';
import type { Channel, Options } from 'amqplib';

export async function declareExchanges(ch: Channel, ...exchanges: readonly Exchange[]): Promise<void> {
  for (const { name, type } of exchanges) await ch.assertExchange(name, type, { durable: true });
}

/** A (fanout) dead-letter exchange and the quorum queue that keeps what lands on it. */
export async function declareDeadLetters(ch: Channel, exchange: Exchange, queue: string): Promise<void> {
  await declareExchanges(ch, exchange);
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(queue, exchange.name, '');
}

const PRECONDITION_FAILED = 406;
const quorum = (args: Options.AssertQueue['arguments']): Options.AssertQueue => ({
  durable: true,
  arguments: { ...args, 'x-queue-type': 'quorum' },
});

/**
 * A quorum queue that an earlier release declared as a classic one (a queue's type cannot change in
 * place): the classic queue is deleted once it is unused and empty (a drained migration), then declared
 * again. While it is still in use (a replica of the earlier release consumes it) this throws and closes
 * `ch`, so that nothing consumes the old queue from it: the set-up is tried again later (broker.ts). The
 * attempt is made on a channel of its own, since a refused declaration closes the channel it was made on.
 */
export async function declareQuorumQueue(
  connection: AmqpConnectionManager,
  ch: Channel,
  queue: string,
  args: Options.AssertQueue['arguments'] = {},
): Promise<void> {
  const model = connection.connection;
  if (model) {
    const probe = await model.createChannel();
    probe.on('error', () => undefined); // a refusal closes it; that is the answer
    try {
      await probe.assertQueue(queue, quorum(args));
      await probe.close();
    } catch (err) {
      if ((err as { code?: number }).code !== PRECONDITION_FAILED) throw err;
      const migrate = await model.createChannel();
      migrate.on('error', () => undefined);
      try {
        await migrate.deleteQueue(queue, { ifUnused: true, ifEmpty: true });
        await migrate.close();
      } catch (refused) {
        await ch.close().catch(() => undefined);
        throw new Error(
          `${queue} is a classic queue still in use (an earlier release?); it becomes a quorum queue once unused: ${(refused as Error).message}`,
        );
      }
    }
  }
  await ch.assertQueue(queue, quorum(args));
}
