/**
 * Publishes online/offline changes on the direct changes exchange, one routing key per user, so a
 * gateway receives only the users its sockets watch. Publishes are confirmed by the broker before
 * the outbox lets go of them.
 */
import { type PresenceChange, PresenceMessageType, type PresenceTopology, presenceKey } from '@coffeechat/contracts';
import { type Broker, declareExchanges } from '@coffeechat/service-kit';
import { tracePublish } from '@coffeechat/telemetry';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';

const PUBLISH_TIMEOUT_MS = 5000;

export class ChangePublisher {
  private readonly channel: ChannelWrapper;

  constructor(
    broker: Broker,
    private readonly names: PresenceTopology,
    private readonly onPublished: (change: PresenceChange) => void,
  ) {
    this.channel = broker.channel({
      name: 'presence-changes',
      setup: (channel: Channel) => declareExchanges(channel, names.exchanges.changes),
    });
  }

  async publish(changes: readonly PresenceChange[]): Promise<void> {
    await Promise.all(
      changes.map(async (change) => {
        const exchange = this.names.changesExchange;
        const routingKey = presenceKey(change.userId);
        await tracePublish({ exchange, routingKey }, (headers) =>
          this.channel.publish(exchange, routingKey, Buffer.from(JSON.stringify(change)), {
            contentType: 'application/json',
            type: PresenceMessageType.change,
            headers,
            timeout: PUBLISH_TIMEOUT_MS,
          }),
        );
        this.onPublished(change);
      }),
    );
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}
