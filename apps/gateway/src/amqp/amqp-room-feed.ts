/**
 * `RoomFeed` over RabbitMQ (docs/internals.md), on the gateway's broker connection:
 * - the gateway's own queue (service-kit `KeyedQueue`), bound to `membership.*` and to each room the hub
 *   retains; re-bound after a reconnect; what arrives is dispatched by its AMQP `type`; the connection's
 *   loss and the bindings' restoration are reported (`lost`, `restored`);
 * - a confirm channel for typing frames, published straight to the room on the delivery exchange.
 */
import { GatewayMessageType, Header, MembershipEvent, type Topology, validator } from '@coffeechat/contracts';
import { type Broker, declareExchanges, KeyedQueue, type Logger, unavailable } from '@coffeechat/service-kit';
import type { Channel, ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';
import type { RoomFeed, RoomFeedEvents, SendAnswer } from '../room-feed.js';
import { publishConfirmed } from './confirmed-publish.js';

export interface AmqpRoomFeedSettings {
  /** the gateway's own queue */
  queue: string;
  /** longest wait for a bind or a confirm before the client gets UNAVAILABLE */
  timeoutMs: number;
  /** how long a room nobody here wants any more stays bound (a reconnect storm re-joins it at once) */
  lingerMs: number;
}

const membershipEvent = validator(MembershipEvent);
/** binds of rooms in flight at once: a burst of joins waits one broker round trip per room otherwise */
const BIND_CHANNELS = 8;

export class AmqpRoomFeed implements RoomFeed {
  private queue?: KeyedQueue;
  private publisher?: ChannelWrapper;

  constructor(
    private readonly broker: Broker,
    private readonly topology: Topology,
    private readonly settings: AmqpRoomFeedSettings,
    private readonly logger: Logger,
  ) {}

  isUp(): boolean {
    return this.broker.isReady();
  }

  start(events: RoomFeedEvents): void {
    const { exchanges } = this.topology;
    this.queue = new KeyedQueue({
      broker: this.broker,
      logger: this.logger,
      name: 'gateway-queue',
      queue: this.settings.queue,
      keyed: exchanges.delivery,
      fixed: [{ exchange: exchanges.events, key: 'membership.*' }],
      timeoutMs: this.settings.timeoutMs,
      lingerMs: this.settings.lingerMs,
      bindChannels: BIND_CHANNELS,
      onMessage: (msg) => this.dispatch(msg, events),
      onRestored: () => events.restored(),
    });
    this.queue.start();
    this.broker.connection.on('disconnect', () => events.lost());
    this.publisher = this.broker.channel({
      name: 'gateway-typing',
      confirm: true,
      setup: (ch: Channel) => declareExchanges(ch, exchanges.delivery),
    });
  }

  async bindRoom(roomId: string): Promise<void> {
    if (!this.queue) throw unavailable('broker unavailable');
    await this.queue.bind(this.topology.roomKey(roomId));
  }

  async unbindRoom(roomId: string): Promise<void> {
    await this.queue?.unbind(this.topology.roomKey(roomId));
  }

  publishTyping(roomId: string, userId: string, frame: string): Promise<void> {
    return publishConfirmed(this.broker, this.publisher, {
      exchange: this.topology.deliveryExchange,
      routingKey: this.topology.roomKey(roomId),
      content: Buffer.from(frame),
      options: { type: GatewayMessageType.roomFrame, contentType: 'application/json' },
      headers: { [Header.roomId]: roomId, [Header.userId]: userId },
      timeoutMs: this.settings.timeoutMs,
      what: 'broker unavailable',
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.queue?.close(), this.publisher?.close()]);
  }

  /** What lands in the gateway's queue, by its AMQP `type` (`GatewayMessageType`). */
  private dispatch(msg: ConsumeMessage, events: RoomFeedEvents): void {
    const headers = msg.properties.headers ?? {};
    switch (msg.properties.type) {
      case GatewayMessageType.roomFrame:
        this.roomFrame(msg, headers, events);
        break;
      case GatewayMessageType.connFrame: {
        const connId = stringHeader(headers[Header.connId]);
        if (connId) events.connFrame({ connId, bytes: msg.content });
        else this.drop(msg, 'connection frame without connection id');
        break;
      }
      case GatewayMessageType.membership: {
        const event = parseJson(msg.content, membershipEvent.check);
        if (event) events.membership(event);
        else this.drop(msg, 'invalid membership event');
        break;
      }
      default:
        this.drop(msg, `unknown message type ${JSON.stringify(msg.properties.type)}`);
    }
  }

  private roomFrame(msg: ConsumeMessage, headers: Record<string, unknown>, events: RoomFeedEvents): void {
    const roomId = stringHeader(headers[Header.roomId]) ?? roomOfKey(msg.fields.routingKey);
    if (!roomId) {
      this.drop(msg, 'room frame without room');
      return;
    }
    const seq = seqHeader(headers[Header.seq]);
    const userId = stringHeader(headers[Header.userId]);
    // epoch milliseconds: positive integers, read like a seq
    const sentAt = seqHeader(headers[Header.sentAt]);
    const storedAt = seqHeader(headers[Header.storedAt]);
    const answers = sendAnswer(headers);
    events.roomFrame({
      roomId,
      bytes: msg.content,
      ...(seq !== undefined ? { seq } : {}),
      ...(userId ? { userId } : {}),
      ...(sentAt !== undefined ? { sentAt } : {}),
      ...(storedAt !== undefined ? { storedAt } : {}),
      ...(answers ? { answers } : {}),
    });
  }

  private drop(msg: ConsumeMessage, why: string): void {
    this.logger.warn(
      { routingKey: msg.fields.routingKey, exchange: msg.fields.exchange, why },
      'dropped a broker message',
    );
  }
}

function stringHeader(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** The send a `message` frame answers, from its headers (absent on other frames). */
function sendAnswer(headers: Record<string, unknown>): SendAnswer | undefined {
  const connId = stringHeader(headers[Header.connId]);
  const clientMsgId = stringHeader(headers[Header.clientMsgId]);
  if (!connId || !clientMsgId) return undefined;
  const frameId = stringHeader(headers[Header.frameId]);
  return { connId, clientMsgId, ...(frameId ? { frameId } : {}) };
}

function seqHeader(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

function roomOfKey(routingKey: string): string | undefined {
  return routingKey.startsWith('room.') ? routingKey.slice('room.'.length) : undefined;
}

function parseJson<T>(content: Buffer, check: (value: unknown) => value is T): T | undefined {
  try {
    const value: unknown = JSON.parse(content.toString('utf8'));
    return check(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
