/**
 * `ChatBackend` over RabbitMQ (docs/internals.md), on one reconnecting connection:
 * - the gateway's own queue (service-kit `KeyedQueue`), bound to `membership.*` and to each room a local
 *   socket joined or awaits an ack in; re-bound after a reconnect; its messages dispatched by AMQP `type`;
 * - a confirm channel for sends and read markers (into the room's inbound partition) and typing frames
 *   (straight to the delivery exchange);
 * - join requests to the routers (service-kit `RpcClient`).
 */
import {
  GatewayMessageType,
  Header,
  type InboundRead,
  type InboundSend,
  JoinReply,
  type JoinRequest,
  MembershipEvent,
  partitionOf,
  type Topology,
  validator,
} from '@coffeechat/contracts';
import {
  type Broker,
  declareExchanges,
  KeyedQueue,
  type Logger,
  RpcClient,
  unavailable,
  withinDeadline,
} from '@coffeechat/service-kit';
import { tracePublish } from '@coffeechat/telemetry';
import type { Channel, ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';
import {
  type BackendEvents,
  type ChatBackend,
  type SendAnswer,
  type SendRequest,
  UnconfirmedPublish,
} from '../chat-backend.js';

export interface AmqpBackendSettings {
  gatewayId: string;
  partitions: number;
  /** longest wait for a confirm, a bind or a router's answer before the client gets UNAVAILABLE */
  timeoutMs: number;
}

const JSON_TYPE = 'application/json';
const membershipEvent = validator(MembershipEvent);

export class AmqpChatBackend implements ChatBackend {
  private readonly queueName: string;
  private queue?: KeyedQueue;
  private publisher?: ChannelWrapper;
  private readonly router: RpcClient<JoinRequest, JoinReply>;

  constructor(
    private readonly broker: Broker,
    private readonly topology: Topology,
    private readonly settings: AmqpBackendSettings,
    private readonly logger: Logger,
  ) {
    this.queueName = topology.gatewayQueue(settings.gatewayId);
    this.router = new RpcClient({
      broker,
      logger,
      name: 'gateway-rpc',
      peer: 'the router',
      queue: topology.routerRpcQueue,
      timeoutMs: settings.timeoutMs,
      isReply: validator(JoinReply).check,
    });
  }

  isUp(): boolean {
    return this.broker.isConnected();
  }

  start(events: BackendEvents): void {
    const t = this.topology;
    this.queue = new KeyedQueue({
      broker: this.broker,
      logger: this.logger,
      name: 'gateway-queue',
      queue: this.queueName,
      keyed: t.exchanges.delivery,
      fixed: [{ exchange: t.exchanges.events, key: 'membership.*' }],
      timeoutMs: this.settings.timeoutMs,
      onMessage: (msg) => this.dispatch(msg, events),
      onRestored: () => events.restored(),
    });
    this.queue.start();
    this.publisher = this.broker.connection.createChannel({
      name: 'gateway-publisher',
      confirm: true,
      setup: (ch: Channel) => declareExchanges(ch, t.exchanges.inbound, t.exchanges.delivery),
    });
    this.publisher.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'broker channel set-up failed'));
    this.router.start();
  }

  async bindRoom(roomId: string): Promise<void> {
    if (!this.queue) throw unavailable('broker unavailable');
    await this.queue.bind(this.topology.roomKey(roomId));
  }

  async unbindRoom(roomId: string): Promise<void> {
    await this.queue?.unbind(this.topology.roomKey(roomId));
  }

  join(request: JoinRequest): Promise<JoinReply> {
    return this.router.call(request);
  }

  async publishSend(request: SendRequest): Promise<void> {
    const message: InboundSend = { kind: 'send', ...request, replyTo: this.queueName };
    await this.publishInbound(request.roomId, message);
  }

  async publishRead(request: Omit<InboundRead, 'kind'>): Promise<void> {
    const message: InboundRead = { kind: 'read', ...request };
    await this.publishInbound(request.roomId, message);
  }

  async publishTyping(roomId: string, userId: string, frame: string): Promise<void> {
    const publisher = this.ready(this.publisher);
    const exchange = this.topology.deliveryExchange;
    const routingKey = this.topology.roomKey(roomId);
    await withinDeadline(
      tracePublish(
        { exchange, routingKey },
        (headers) =>
          publisher.publish(exchange, routingKey, Buffer.from(frame), {
            type: GatewayMessageType.roomFrame,
            contentType: JSON_TYPE,
            headers,
            timeout: this.settings.timeoutMs,
          }),
        { [Header.roomId]: roomId, [Header.userId]: userId },
      ),
      this.settings.timeoutMs,
      'broker unavailable',
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.router.close(), this.queue?.close(), this.publisher?.close()]);
  }

  // ---- internals ----

  private async publishInbound(roomId: string, message: InboundSend | InboundRead): Promise<void> {
    const publisher = this.ready(this.publisher);
    const exchange = this.topology.inboundExchange;
    const routingKey = this.topology.partitionKey(partitionOf(roomId, this.settings.partitions));
    const content = Buffer.from(JSON.stringify(message));
    await withinDeadline(
      tracePublish(
        { exchange, routingKey, bodySize: content.length },
        (headers) =>
          publisher.publish(exchange, routingKey, content, {
            persistent: true,
            contentType: JSON_TYPE,
            type: message.kind,
            headers,
            timeout: this.settings.timeoutMs,
          }),
        // the router measures the inbound hop from here
        { [Header.sentAt]: Date.now() },
      ),
      this.settings.timeoutMs,
      'broker did not confirm',
      // once the channel took it, a failure cannot tell whether the broker has the message
      (what) => new UnconfirmedPublish(what),
    );
  }

  /** The channel, or UNAVAILABLE at once while the broker is down (nothing is queued for later). */
  private ready(wrapper: ChannelWrapper | undefined): ChannelWrapper {
    if (!wrapper || !this.isUp()) throw unavailable('broker unavailable');
    return wrapper;
  }

  /** What lands in the gateway's queue, by its AMQP `type` (`GatewayMessageType`). */
  private dispatch(msg: ConsumeMessage, events: BackendEvents): void {
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

  private roomFrame(msg: ConsumeMessage, headers: Record<string, unknown>, events: BackendEvents): void {
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
