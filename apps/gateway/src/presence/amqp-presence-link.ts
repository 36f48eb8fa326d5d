/**
 * The gateway's presence traffic over RabbitMQ (packages/contracts `presenceTopology`), on the same
 * reconnecting connection as the chat backend but on channels and a queue of its own:
 * - `publisher`: confirm channel for connection events and heartbeats into `<ns>.presence.in`;
 * - `queue`: the exclusive queue `<ns>.gw.<gatewayId>.presence`, bound per watched user on the
 *   changes exchange; its set-up re-binds every watched user after a reconnect;
 * - `rpc`: "current presence of these users" to any presence replica, on the direct reply-to.
 */
import { randomUUID } from 'node:crypto';
import {
  CodedError,
  type PresenceChange,
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
import type { Broker, Logger } from '@coffeechat/service-kit';
import type { Channel, ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';

const REPLY_TO = 'amq.rabbitmq.reply-to';
/** After a query went unanswered, joins stop waiting for presence for this long (it is down or slow). */
const QUERY_BACKOFF_MS = 10_000;
const JSON_TYPE = 'application/json';
const checkChange = validator(PresenceChangeSchema);
const checkReply = validator(PresenceQueryReply);

export interface PresenceLinkEvents {
  change(change: PresenceChange): void;
  /** the broker connection came back and the bindings are restored; changes published meanwhile are lost */
  restored(): void;
}

interface PendingQuery {
  resolve: (users: Map<string, VersionedPresence>) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class AmqpPresenceLink {
  private readonly queueName: string;
  private readonly queries = new Map<string, PendingQuery>();
  private queueSetups = 0;
  private unansweredAt = Number.NEGATIVE_INFINITY;
  private publisher?: ChannelWrapper;
  private queue?: ChannelWrapper;
  private rpc?: ChannelWrapper;

  constructor(
    private readonly broker: Broker,
    private readonly names: PresenceTopology,
    gatewayQueue: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.queueName = `${gatewayQueue}.presence`;
  }

  start(events: PresenceLinkEvents, watchedUsers: () => Iterable<string>): void {
    const { connection } = this.broker;
    const n = this.names;
    this.publisher = connection.createChannel({
      name: 'gateway-presence-publisher',
      confirm: true,
      setup: (ch: Channel) => ch.assertExchange(n.inputExchange, 'fanout', { durable: true }),
    });
    this.queue = connection.createChannel({
      name: 'gateway-presence-queue',
      confirm: false,
      setup: async (ch: Channel) => {
        await ch.assertExchange(n.changesExchange, 'direct', { durable: true });
        await ch.assertQueue(this.queueName, { exclusive: true, autoDelete: true, durable: false });
        const users = [...watchedUsers()];
        await Promise.all(users.map((u) => ch.bindQueue(this.queueName, n.changesExchange, presenceKey(u))));
        await ch.consume(this.queueName, (msg) => msg && this.receive(msg, events), { noAck: true });
        this.queueSetups += 1;
        if (this.queueSetups > 1) events.restored();
      },
    });
    this.rpc = connection.createChannel({
      name: 'gateway-presence-rpc',
      confirm: false,
      setup: async (ch: Channel) => {
        // A query is published `mandatory`: without a presence deployment (no RPC queue) it comes back at once.
        ch.on('return', (msg: ConsumeMessage) => this.returned(msg));
        await ch.consume(REPLY_TO, (msg) => msg && this.settle(msg), { noAck: true });
      },
    });
    for (const wrapper of [this.publisher, this.queue, this.rpc]) {
      wrapper.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'presence channel set-up failed'));
    }
    connection.on('disconnect', () => this.failQueries('broker connection lost'));
  }

  isUp(): boolean {
    return this.broker.isConnected();
  }

  /** Resolves once the broker confirmed the message. */
  async publish(input: PresenceInput): Promise<void> {
    const publisher = this.ready(this.publisher);
    await publisher.publish(this.names.inputExchange, '', Buffer.from(JSON.stringify(input)), {
      contentType: JSON_TYPE,
      type: PresenceMessageType[input.kind],
      persistent: input.kind !== 'heartbeat',
      timeout: this.timeoutMs,
    });
  }

  async bindUser(userId: string): Promise<void> {
    const queue = this.ready(this.queue);
    await queue.waitForConnect();
    await queue.bindQueue(this.queueName, this.names.changesExchange, presenceKey(userId));
  }

  async unbindUser(userId: string): Promise<void> {
    if (!this.queue || !this.isUp()) return; // the reconnect set-up binds only users still watched
    await this.queue.unbindQueue(this.queueName, this.names.changesExchange, presenceKey(userId));
  }

  /** The current presence of up to `Limits.presenceQueryMax` users, from any presence replica. */
  query(userIds: string[]): Promise<Map<string, VersionedPresence>> {
    const rpc = this.ready(this.rpc);
    if (Date.now() - this.unansweredAt < QUERY_BACKOFF_MS) {
      return Promise.reject(new CodedError(WsErrorCode.UNAVAILABLE, 'presence did not answer recently'));
    }
    const correlationId = randomUUID();
    const request: PresenceQueryRequest = { kind: 'query', userIds };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.queries.delete(correlationId);
        this.unansweredAt = Date.now();
        reject(new CodedError(WsErrorCode.UNAVAILABLE, 'presence did not answer'));
      }, this.timeoutMs);
      this.queries.set(correlationId, { resolve, reject, timer });
      rpc
        .sendToQueue(this.names.rpcQueue, Buffer.from(JSON.stringify(request)), {
          replyTo: REPLY_TO,
          correlationId,
          expiration: String(this.timeoutMs),
          contentType: JSON_TYPE,
          mandatory: true,
          timeout: this.timeoutMs,
        })
        .catch(() =>
          this.settleQuery(correlationId, (q) =>
            q.reject(new CodedError(WsErrorCode.UNAVAILABLE, 'broker unavailable')),
          ),
        );
    });
  }

  async close(): Promise<void> {
    this.failQueries('gateway shutting down');
    await Promise.allSettled([this.publisher?.close(), this.queue?.close(), this.rpc?.close()]);
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

  private returned(msg: ConsumeMessage): void {
    const id = msg.properties.correlationId;
    if (typeof id !== 'string') return;
    this.settleQuery(id, (q) => q.reject(new CodedError(WsErrorCode.UNAVAILABLE, 'no presence service to ask')));
  }

  private settle(msg: ConsumeMessage): void {
    const id = msg.properties.correlationId;
    if (typeof id !== 'string') return;
    let reply: PresenceQueryReply | undefined;
    try {
      const value: unknown = JSON.parse(msg.content.toString('utf8'));
      if (checkReply.check(value)) reply = value;
    } catch {
      // reported below
    }
    this.settleQuery(id, (q) => {
      if (reply?.ok) q.resolve(new Map(Object.entries(reply.users)));
      else q.reject(new Error(reply ? `presence query failed: ${reply.message}` : 'invalid presence reply'));
    });
  }

  private settleQuery(id: string, settle: (q: PendingQuery) => void): void {
    const q = this.queries.get(id);
    if (!q) return;
    this.queries.delete(id);
    clearTimeout(q.timer);
    settle(q);
  }

  private failQueries(why: string): void {
    for (const id of [...this.queries.keys()]) {
      this.settleQuery(id, (q) => q.reject(new CodedError(WsErrorCode.UNAVAILABLE, why)));
    }
  }

  private ready(wrapper: ChannelWrapper | undefined): ChannelWrapper {
    if (!wrapper || !this.isUp()) throw new CodedError(WsErrorCode.UNAVAILABLE, 'broker unavailable');
    return wrapper;
  }
}
