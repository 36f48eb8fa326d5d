/**
 * Consuming a queue from a channel's set-up, written once for every consumer of the services (RPC
 * servers and clients, partition, event and input queues, keyed queues):
 * - each delivery comes with the means to settle it on the channel it came on, and nowhere else: a
 *   delivery tag means nothing on another channel, and once that channel is gone the broker redelivers.
 *   (Telling channels apart by a counter bumped on amqp-connection-manager's 'connect' event was too
 *   late: the messages waiting in a queue arrive in the same read as its consume-ok, before 'connect',
 *   so they were never acked and held the consumer's prefetch for good; after a broker restart 32 of
 *   them wedged the router's join queue.)
 * - a consumer the broker cancels (basic.cancel, which amqplib hands over as a `null` delivery: its queue
 *   was deleted, or a quorum queue lost its member) is logged and consumed again after a pause that
 *   doubles with each cancel in a row, the broker not ready meanwhile; a consume that fails or takes
 *   longer than its deadline connects to the broker again, which runs every set-up again.
 */
import type { Channel } from 'amqp-connection-manager';
import type { ConsumeMessage, Options } from 'amqplib';
import type { Logger } from '../logger.js';
import type { Broker } from './broker.js';
import { raceDeadline } from './deadline.js';

/** The longest a consume may wait for the broker's consume-ok (a quorum queue without a leader). */
const CONSUME_DEADLINE_MS = 15_000;
const RECONSUME_FIRST_MS = 500;
const RECONSUME_MAX_MS = 30_000;

/** Settles deliveries on the channel they came on; once that channel is closed, does nothing. */
export interface Settle {
  /** false once the channel is closed: the broker redelivers what was not settled on it */
  isOpen(): boolean;
  ack(msg: ConsumeMessage, allUpTo?: boolean): void;
  nack(msg: ConsumeMessage, requeue: boolean): void;
}

export interface QueueConsumerOptions {
  broker: Broker;
  logger: Logger;
  queue: string;
  /** amqplib's consume options (`noAck`, …) */
  options?: Options.Consume;
  onMessage(msg: ConsumeMessage, settle: Settle): void;
}

export interface Consuming {
  /** No more deliveries (those in hand can still be settled). */
  cancel(): Promise<void>;
}

/** Consumes `queue` on `ch`, a channel in its set-up; resolves once the broker confirmed the consumer. */
export async function consumeQueue(ch: Channel, consumer: QueueConsumerOptions): Promise<Consuming> {
  const { broker, logger, queue, options = {}, onMessage } = consumer;
  let open = true;
  let cancelled = false;
  let tag: string | undefined;
  let cancelsInARow = 0;
  ch.once('close', () => {
    open = false;
  });
  const settle: Settle = {
    isOpen: () => open,
    ack(msg, allUpTo = false) {
      if (open) ch.ack(msg, allUpTo);
    },
    nack(msg, requeue) {
      if (open) ch.nack(msg, false, requeue);
    },
  };

  const attach = async () => {
    const ok = await raceDeadline(
      ch.consume(queue, deliver, options),
      CONSUME_DEADLINE_MS,
      () => new Error(`no consume-ok for ${queue} within ${CONSUME_DEADLINE_MS} ms`),
    );
    tag = ok.consumerTag;
  };
  const consumeAgain = async () => {
    const pauseMs = Math.min(RECONSUME_MAX_MS, RECONSUME_FIRST_MS * 2 ** cancelsInARow++);
    logger.warn({ queue, pauseMs }, 'the broker cancelled the consumer; consuming again');
    const release = broker.holdReady(`consumer of ${queue}`);
    try {
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      if (!open || cancelled) return;
      await attach();
      logger.info({ queue }, 'consuming again');
    } catch (err) {
      if (open) broker.reconnect(`could not consume ${queue} again: ${(err as Error).message}`);
    } finally {
      release();
    }
  };
  function deliver(msg: ConsumeMessage | null): void {
    if (msg) {
      cancelsInARow = 0;
      onMessage(msg, settle);
      return;
    }
    tag = undefined;
    if (open && !cancelled) void consumeAgain();
  }

  await attach();
  return {
    async cancel() {
      cancelled = true;
      const current = tag;
      tag = undefined;
      if (current && open) await ch.cancel(current);
    },
  };
}
