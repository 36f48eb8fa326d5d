/**
 * `RouterClient` over RabbitMQ (docs/internals.md): joins to any router (service-kit `RpcClient` on
 * `<ns>.rpc.router`), and sends and read markers published persistent into the room's inbound
 * partition on a confirm channel.
 */
import {
  Header,
  type InboundRead,
  type InboundSend,
  JoinReply,
  type JoinRequest,
  partitionOf,
  type Topology,
  validator,
} from '@coffeechat/contracts';
import { type Broker, declareExchanges, type Logger, RpcClient } from '@coffeechat/service-kit';
import type { Channel, ChannelWrapper } from 'amqp-connection-manager';
import { type RouterClient, type SendRequest, UnconfirmedPublish } from '../router-client.js';
import { publishConfirmed } from './confirmed-publish.js';

export interface AmqpRouterClientSettings {
  /** the gateway's own queue: where the router sends a send's errors */
  replyTo: string;
  partitions: number;
  /** longest wait for a confirm or a router's answer before the client gets UNAVAILABLE */
  timeoutMs: number;
  logger: Logger;
}

export class AmqpRouterClient implements RouterClient {
  private readonly joins: RpcClient<JoinRequest, JoinReply>;
  private publisher?: ChannelWrapper;

  constructor(
    private readonly broker: Broker,
    private readonly topology: Topology,
    private readonly settings: AmqpRouterClientSettings,
  ) {
    this.joins = new RpcClient({
      broker,
      logger: settings.logger,
      name: 'gateway-rpc',
      peer: 'the router',
      queue: topology.routerRpcQueue,
      timeoutMs: settings.timeoutMs,
      isReply: validator(JoinReply).check,
    });
  }

  start(): void {
    this.publisher = this.broker.channel({
      name: 'gateway-inbound',
      confirm: true,
      setup: (ch: Channel) => declareExchanges(ch, this.topology.exchanges.inbound),
    });
    this.joins.start();
  }

  join(request: JoinRequest): Promise<JoinReply> {
    return this.joins.call(request);
  }

  publishSend(request: SendRequest): Promise<void> {
    return this.publishInbound({ kind: 'send', ...request, replyTo: this.settings.replyTo });
  }

  publishRead(request: Omit<InboundRead, 'kind'>): Promise<void> {
    return this.publishInbound({ kind: 'read', ...request });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.joins.close(), this.publisher?.close()]);
  }

  private publishInbound(message: InboundSend | InboundRead): Promise<void> {
    return publishConfirmed(this.broker, this.publisher, {
      exchange: this.topology.inboundExchange,
      routingKey: this.topology.partitionKey(partitionOf(message.roomId, this.settings.partitions)),
      content: Buffer.from(JSON.stringify(message)),
      options: { persistent: true, contentType: 'application/json', type: message.kind },
      // the router measures the inbound hop from here
      headers: { [Header.sentAt]: Date.now() },
      timeoutMs: this.settings.timeoutMs,
      what: 'broker did not confirm',
      // once the channel took it, a failure cannot tell whether the broker has the message
      fail: (what) => new UnconfirmedPublish(what),
    });
  }
}
