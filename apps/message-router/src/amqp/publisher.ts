/**
 * The router's one publishing channel: a confirm channel (amqp-connection-manager re-creates it and
 * re-declares the exchanges after a reconnect). Every batch waits for the broker's confirms of all its
 * publications before it acks its inbound deliveries.
 */
import type { Topology } from '@coffeechat/contracts';
import type { Broker } from '@coffeechat/service-kit';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import { PublishError } from '../failures.js';
import type { Publisher } from '../partition-worker.js';
import { declareShared } from './topology.js';

export interface ConfirmPublisher extends Publisher {
  channel: ChannelWrapper;
  close(): Promise<void>;
}

export function createPublisher(broker: Broker, topology: Topology, { timeoutMs = 10_000 } = {}): ConfirmPublisher {
  const channel = broker.connection.createChannel({
    name: 'publish',
    confirm: true,
    publishTimeout: timeoutMs,
    setup: (ch: Channel) => declareShared(ch, topology),
  });
  return {
    channel,
    async publishAll(publications) {
      try {
        await Promise.all(publications.map((p) => channel.publish(p.exchange, p.routingKey, p.content, p.options)));
      } catch (err) {
        throw new PublishError(err);
      }
    },
    close: () => channel.close(),
  };
}
