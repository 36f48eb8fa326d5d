/**
 * Consumes `message.stored` and `room.created` from `<ns>.events` on the feed's durable quorum queue.
 * A single active consumer (across feed replicas) keeps each room's events in order, and events of
 * one room are handled one after another (rooms in parallel), so the seq-based dedupe holds. Malformed
 * events are rejected without requeue and land in `<ns>.feed.dead`; a failure (store down) is retried
 * after a pause, and dead-lettered by the broker after `x-delivery-limit` attempts.
 */
import {
  EventKey,
  feedTopology,
  MessageStoredEvent,
  RoomCreatedEvent,
  topology,
  type Validator,
  validator,
} from '@coffeechat/contracts';
import { type Broker, declareDeadLetters, declareExchanges, type Logger } from '@coffeechat/service-kit';
import { traceConsume } from '@coffeechat/telemetry';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { ChatEngagement } from '../chat-engagement.js';
import type { EventName, EventOutcome, FeedMetrics } from '../feed-metrics.js';

const PREFETCH = 64;
const DELIVERY_LIMIT = 5;
const RETRY_PAUSE_MS = 1000;

type Handler = {
  name: EventName;
  validator: Validator<typeof MessageStoredEvent> | Validator<typeof RoomCreatedEvent>;
};

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
  const handlers: Record<string, Handler> = {
    [EventKey.messageStored]: { name: 'message.stored', validator: validator(MessageStoredEvent) },
    [EventKey.roomCreated]: { name: 'room.created', validator: validator(RoomCreatedEvent) },
  };
  let ready = false;
  // delivery tags belong to one channel: after a reconnect the broker redelivers, old tags must not be acked
  let epoch = 0;
  const rooms = new Map<string, Promise<void>>();

  const channel = broker.connection.createChannel({
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
      for (const key of Object.keys(handlers)) await ch.bindQueue(feed.eventsQueue, eventsExchange, key);
    },
  });
  channel.on('connect', () => {
    epoch += 1;
    ready = true;
  });
  channel.on('close', () => (ready = false));
  channel.on('error', (err: Error) => logger.warn({ err: err.message }, 'events channel error'));

  const settle = (msg: ConsumeMessage, at: number, ok: boolean, requeue: boolean) => {
    if (at !== epoch) return;
    if (ok) channel.ack(msg);
    else channel.nack(msg, false, requeue);
  };

  const onMessage = (msg: ConsumeMessage) => {
    const at = epoch;
    const handler = handlers[msg.fields.routingKey];
    let event: unknown;
    try {
      event = JSON.parse(msg.content.toString('utf8'));
    } catch {
      event = undefined;
    }
    const checked = handler?.validator.validate(event);
    if (!handler || !checked?.ok) {
      const name = handler?.name ?? 'message.stored';
      logger.warn(
        {
          routingKey: msg.fields.routingKey,
          problem: checked?.ok === false ? checked.message : 'not JSON or unknown key',
        },
        'malformed event dead-lettered',
      );
      metrics.event(name, 'rejected');
      settle(msg, at, false, false);
      return;
    }
    const value = checked.value;
    const work = async () => {
      try {
        const outcome: EventOutcome =
          handler.name === 'message.stored'
            ? await chat.messageStored(value as MessageStoredEvent)
            : await chat.roomCreated(value as RoomCreatedEvent);
        metrics.event(handler.name, outcome);
        settle(msg, at, true, false);
      } catch (err) {
        logger.warn({ err, event: handler.name }, 'event failed; retrying');
        metrics.event(handler.name, 'retried');
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        settle(msg, at, false, true);
      }
    };
    const roomId = value.roomId;
    const next = (rooms.get(roomId) ?? Promise.resolve()).then(work);
    rooms.set(roomId, next);
    void next.then(() => {
      if (rooms.get(roomId) === next) rooms.delete(roomId);
    });
    return next;
  };

  await channel.waitForConnect();
  // the event's CONSUMER span lasts until its work (queued behind the room's earlier events) is done
  await channel.consume(feed.eventsQueue, (msg) => traceConsume(msg, feed.eventsQueue, () => onMessage(msg)), {
    prefetch: PREFETCH,
  });
  ready = true;

  return {
    isReady: () => ready && broker.isConnected(),
    async stop() {
      ready = false;
      await channel.cancelAll().catch(() => undefined);
      await Promise.all(rooms.values());
      await channel.close();
    },
  };
}
