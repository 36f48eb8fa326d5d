/**
 * The router's one publishing channel: a confirm channel (amqp-connection-manager re-creates it and
 * re-declares the exchanges after a reconnect). Every batch waits for the broker's confirms of all its
 * publications before it acks its inbound deliveries.
 */
import type { Topology } from '@coffeechat/contracts';
import type { Broker } from '@coffeechat/service-kit';
import { tracePublish, withTraceContext } from '@coffeechat/telemetry';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import { PublishError } from '../failures.js';
import type { Publication, Publisher } from '../publications.js';
import { declareShared } from './topology.js';

export interface ConfirmPublisher extends Publisher {
  channel: ChannelWrapper;
  close(): Promise<void>;
}

export function createPublisher(broker: Broker, topology: Topology, { timeoutMs = 10_000 } = {}): ConfirmPublisher {
  const channel = broker.channel({
    name: 'publish',
    confirm: true,
    publishTimeout: timeoutMs,
    setup: (ch: Channel) => declareShared(ch, topology),
  });
  // Each publication in the trace of the message it answers, that trace's context in its headers.
  const publishTraced = (p: Publication) => {
    const publish = () =>
      tracePublish(
        { exchange: p.exchange, routingKey: p.routingKey, bodySize: p.content.length },
        (headers) => channel.publish(p.exchange, p.routingKey, p.content, { ...p.options, headers }),
        p.options.headers,
      );
    return p.trace ? withTraceContext(p.trace, publish) : publish();
  };
  return {
    channel,
    async publishAll(publications) {
      try {
        await Promise.all(publications.map(publishTraced));
      } catch (err) {
        throw new PublishError(err);
      }
    },
    close: () => channel.close(),
  };
}
