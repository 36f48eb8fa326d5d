/**
 * The router's private, exclusive queue on `<ns>.events`: membership changes and new rooms (made
 * through any router) drop the affected entry of the membership cache of the room's partition.
 */
import { EventKey, MembershipEvent, RoomCreatedEvent, type Topology, validator } from '@coffeechat/contracts';
import { type Broker, consumeQueue, declareExchanges, type Logger } from '@coffeechat/service-kit';
import { traceConsume } from '@coffeechat/telemetry';
import type { Channel } from 'amqplib';
import type { RouterMetrics } from '../metrics.js';

const membershipEvent = validator(MembershipEvent);
const roomCreatedEvent = validator(RoomCreatedEvent);

export function startEventsSubscriber(options: {
  broker: Broker;
  topology: Topology;
  routerId: string;
  invalidate: (roomId: string) => void;
  metrics: RouterMetrics;
  logger: Logger;
}): { stop(): Promise<void> } {
  const { broker, topology, routerId, invalidate, metrics, logger } = options;
  const queue = topology.routerEventsQueue(routerId);
  const wrapper = broker.channel({
    name: 'events',
    confirm: false,
    setup: async (ch: Channel) => {
      await declareExchanges(ch, topology.exchanges.events);
      await ch.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(queue, topology.eventsExchange, 'membership.*');
      await ch.bindQueue(queue, topology.eventsExchange, EventKey.roomCreated);
      await consumeQueue(ch, {
        broker,
        logger,
        queue,
        options: { noAck: true },
        onMessage: (msg) =>
          traceConsume(msg, queue, () => {
            let body: unknown;
            try {
              body = JSON.parse(msg.content.toString('utf8'));
            } catch {
              body = undefined;
            }
            const check = msg.fields.routingKey === EventKey.roomCreated ? roomCreatedEvent : membershipEvent;
            const parsed = check.validate(body);
            if (!parsed.ok) {
              logger.warn({ key: msg.fields.routingKey, reason: parsed.message }, 'invalid event; dropped');
              metrics.dropped.inc({ queue: 'events' });
              return;
            }
            invalidate(parsed.value.roomId);
          }),
      });
    },
  });
  return { stop: () => wrapper.close() };
}
