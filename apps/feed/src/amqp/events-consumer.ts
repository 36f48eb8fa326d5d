/**
 * Consumes `messages.stored` (a router batch's new messages), `message.stored` (one message, from
 * routers of earlier releases) and `room.created` from `<ns>.events` on the feed's durable quorum queue.
 * A single active consumer (across feed replicas) keeps each room's events in order, and the work of
 * one room is done one item after another (rooms in parallel), so the seq-based dedupe holds. An event
 * is acked once every item in it is done. Malformed events are rejected without requeue and land in
 * `<ns>.feed.dead`; a failure (store down) is retried after a pause (items already counted are
 * recognised by their seq), and dead-lettered by the broker after `x-delivery-limit` attempts.
 */
import {
  EventKey,
  feedTopology,
  MessageStoredEvent,
  MessagesStoredEvent,
  RoomCreatedEvent,
  topology,
  validator,
} from '@coffeechat/contracts';
import {
  type Broker,
  type Consuming,
  consumeQueue,
  declareDeadLetters,
  declareExchanges,
  type Logger,
  type Settle,
} from '@coffeechat/service-kit';
import { traceConsume } from '@coffeechat/telemetry';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { ChatEngagement } from '../chat-engagement.js';
import type { EventOutcome, FeedMetrics } from '../feed-metrics.js';

const PREFETCH = 64;
const DELIVERY_LIMIT = 5;
const RETRY_PAUSE_MS = 1000;

/** One thing to count, in its room's order. */
type Item = { name: 'message.stored'; event: MessageStoredEvent } | { name: 'room.created'; event: RoomCreatedEvent };

/** How an event of each routing key becomes items (undefined: not a valid event of that key). */
const parsers: Record<string, (value: unknown) => Item[] | undefined> = (() => {
  const batch = validator(MessagesStoredEvent);
  const single = validator(MessageStoredEvent);
  const created = validator(RoomCreatedEvent);
  const items =
    <T>(check: (v: unknown) => v is T, toItems: (v: T) => Item[]) =>
    (value: unknown) =>
      check(value) ? toItems(value) : undefined;
  return {
    [EventKey.messagesStored]: items(batch.check, (e) =>
      e.messages.map((event): Item => ({ name: 'message.stored', event })),
    ),
    [EventKey.messageStored]: items(single.check, (event): Item[] => [{ name: 'message.stored', event }]),
    [EventKey.roomCreated]: items(created.check, (event): Item[] => [{ name: 'room.created', event }]),
  };
})();

export interface EventsConsumer {
  isReady(): boolean;
  /** stops taking events and waits for those in hand */
  stop(): Promise<void>;
}

export async function startEventsConsumer(
  broker: Broker,
  namespace: string,
  chat: ChatEngagement,
  metrics: FeedMetrics,
  logger: Logger,
): Promise<EventsConsumer> {
  const chatTopology = topology(namespace);
  const { eventsExchange } = chatTopology;
  const feed = feedTopology(namespace);
  let stopped = false;
  let consuming: Consuming | undefined;
  const rooms = new Map<string, Promise<void>>();

  const channel = broker.channel({
    name: 'feed-events',
    setup: async (ch: Channel) => {
      await declareExchanges(ch, chatTopology.exchanges.events);
      await declareDeadLetters(ch, feed.exchanges.deadLetter, feed.deadQueue);
      await ch.assertQueue(feed.eventsQueue, {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          'x-single-active-consumer': true,
          'x-delivery-limit': DELIVERY_LIMIT,
          'x-dead-letter-exchange': feed.deadLetterExchange,
        },
      });
      for (const key of Object.keys(parsers)) await ch.bindQueue(feed.eventsQueue, eventsExchange, key);
      await ch.prefetch(PREFETCH);
      if (stopped) return;
      // the event's CONSUMER span lasts until its work (queued behind the room's earlier events) is done
      consuming = await consumeQueue(ch, {
        broker,
        logger,
        queue: feed.eventsQueue,
        onMessage: (msg, settle) => traceConsume(msg, feed.eventsQueue, () => onMessage(msg, settle)),
      });
    },
  });

  const count = async (item: Item): Promise<void> => {
    const outcome: EventOutcome =
      item.name === 'message.stored' ? await chat.messageStored(item.event) : await chat.roomCreated(item.event);
    metrics.event(item.name, outcome);
  };

  function onMessage(msg: ConsumeMessage, settle: Settle): Promise<void> | undefined {
    let value: unknown;
    try {
      value = JSON.parse(msg.content.toString('utf8'));
    } catch {
      value = undefined;
    }
    const items = parsers[msg.fields.routingKey]?.(value);
    if (!items) {
      logger.warn({ routingKey: msg.fields.routingKey }, 'malformed event dead-lettered');
      metrics.event(msg.fields.routingKey === EventKey.roomCreated ? 'room.created' : 'message.stored', 'rejected');
      settle.nack(msg, false);
      return;
    }
    // each item waits behind its room's earlier work; the event is settled once all of its items are
    const done = items.map((item) => {
      const roomId = item.event.roomId;
      const next = (rooms.get(roomId) ?? Promise.resolve()).then(() => count(item));
      const settled = next.catch(() => undefined);
      rooms.set(roomId, settled);
      void settled.then(() => {
        if (rooms.get(roomId) === settled) rooms.delete(roomId);
      });
      return next;
    });
    return Promise.allSettled(done).then(async (results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (!failed) {
        settle.ack(msg);
        return;
      }
      logger.warn({ err: failed.reason, routingKey: msg.fields.routingKey }, 'event failed; retrying');
      for (const item of items) metrics.event(item.name, 'retried');
      await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
      settle.nack(msg, true);
    });
  }

  await channel.waitForConnect();

  return {
    isReady: () => !stopped && broker.isReady(),
    async stop() {
      stopped = true;
      await consuming?.cancel().catch(() => undefined);
      await Promise.all(rooms.values());
      await channel.close();
    },
  };
}
