/**
 * The gateway's presence traffic over RabbitMQ (packages/contracts `presenceTopology`), on the same
 * reconnecting connection as the chat traffic but on channels and a queue of its own:
 * - a confirm channel for connection events and heartbeats into `<ns>.presence.in`;
 * - the exclusive queue `<ns>.gw.<gatewayId>.presence` (service-kit `KeyedQueue`), bound per watched
 *   user on the changes exchange and re-bound after a reconnect;
 * - "current presence of these users" to any presence replica (service-kit `RpcClient`).
 */
import {
  CodedError,
  PresenceChange as PresenceChangeSchema,
  type PresenceInput,
  PresenceMessageType,
  PresenceQueryReply,
  type PresenceQueryRequest,
  type PresenceTopology,
  presenceKey,
  type VersionedPresence,
  validator,
  WsErrorCode,
} from '@coffeechat/contracts';
import {
  type Broker,
  declareExchanges,
  KeyedQueue,
  type Logger,
  RpcClient,
  RpcTimeout,
  unavailable,
} from '@coffeechat/service-kit';
import type { Channel, ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';
import type { PresenceLink, PresenceLinkEvents } from './gateway-presence.js';

/** After a query went unanswered, joins stop waiting for presence for this long (it is down or slow). */
const QUERY_BACKOFF_MS = 10_000;
const checkChange = validator(PresenceChangeSchema);
/** binds of watched users in flight at once: a burst of joins waits one broker round trip per user otherwise */
const BIND_CHANNELS = 8;

export class AmqpPresenceLink implements PresenceLink {
  private readonly queueName: string;
  private unansweredAt = Number.NEGATIVE_INFINITY;
  private publisher?: ChannelWrapper;
  private queue?: KeyedQueue;
  private readonly presence: RpcClient<PresenceQueryRequest, PresenceQueryReply>;

  constructor(
    private readonly broker: Broker,
    private readonly names: PresenceTopology,
    gatewayQueue: string,
    private readonly timeoutMs: number,
    /** how long a user nobody here watches any more stays bound */
    private readonly lingerMs: number,
    private readonly logger: Logger,
  ) {
    this.queueName = `${gatewayQueue}.presence`;
    // A query is published `mandatory`: without a presence deployment (no RPC queue) it comes back at once.
    this.presence = new RpcClient({
      broker,
      logger,
      name: 'gateway-presence-rpc',
      peer: 'presence',
      queue: names.rpcQueue,
      timeoutMs,
      isReply: validator(PresenceQueryReply).check,
      mandatory: true,
    });
  }

  start(events: PresenceLinkEvents): void {
    this.publisher = this.broker.channel({
      name: 'gateway-presence-publisher',
      confirm: true,
      setup: (ch: Channel) => declareExchanges(ch, this.names.exchanges.input),
    });
    this.queue = new KeyedQueue({
      broker: this.broker,
      logger: this.logger,
      name: 'gateway-presence-queue',
      queue: this.queueName,
      keyed: this.names.exchanges.changes,
      timeoutMs: this.timeoutMs,
      lingerMs: this.lingerMs,
      bindChannels: BIND_CHANNELS,
      onMessage: (msg) => this.receive(msg, events),
      onRestored: () => events.restored(),
    });
    this.queue.start();
    this.presence.start();
  }

  isUp(): boolean {
    return this.broker.isConnected();
  }

  /** Resolves once the broker confirmed the message. */
  async publish(input: PresenceInput): Promise<void> {
    const publisher = this.publisher;
    if (!publisher || !this.isUp()) throw unavailable('broker unavailable');
    await publisher.publish(this.names.inputExchange, '', Buffer.from(JSON.stringify(input)), {
      contentType: 'application/json',
      type: PresenceMessageType[input.kind],
      persistent: input.kind !== 'heartbeat',
      timeout: this.timeoutMs,
    });
  }

  async bindUser(userId: string): Promise<void> {
    if (!this.queue) throw unavailable('broker unavailable');
    await this.queue.bind(presenceKey(userId));
  }

  async unbindUser(userId: string): Promise<void> {
    await this.queue?.unbind(presenceKey(userId));
  }

  /** The current presence of up to `Limits.presenceQueryMax` users, from any presence replica. */
  async query(userIds: string[]): Promise<Map<string, VersionedPresence>> {
    if (Date.now() - this.unansweredAt < QUERY_BACKOFF_MS) {
      throw new CodedError(WsErrorCode.UNAVAILABLE, 'presence did not answer recently');
    }
    let reply: PresenceQueryReply;
    try {
      reply = await this.presence.call({ kind: 'query', userIds });
    } catch (err) {
      if (err instanceof RpcTimeout) this.unansweredAt = Date.now();
      throw err;
    }
    if (!reply.ok) throw new Error(`presence query failed: ${reply.message}`);
    return new Map(Object.entries(reply.users));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.presence.close(), this.publisher?.close(), this.queue?.close()]);
  }

  private receive(msg: ConsumeMessage, events: PresenceLinkEvents): void {
    try {
      const value: unknown = JSON.parse(msg.content.toString('utf8'));
      if (checkChange.check(value)) {
        events.change(value);
        return;
      }
    } catch {
      // reported below
    }
    this.logger.warn({ routingKey: msg.fields.routingKey }, 'dropped a malformed presence change');
  }
}
