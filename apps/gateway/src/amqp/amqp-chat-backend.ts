/**
 * `ChatBackend` over RabbitMQ (docs/internals.md). Three channels on one reconnecting connection:
 * - `queue`: the gateway's own exclusive queue, bound to `membership.*` and to each room a local socket
 *   joined; its set-up re-declares the queue and re-binds every room after a reconnect;
 * - `publisher`: a confirm channel for sends and read markers (into the room's inbound partition) and
 *   typing frames (straight to the delivery exchange);
 * - `rpc`: join requests to the routers, answered on the direct reply-to pseudo-queue.
 */
import { randomUUID } from 'node:crypto';
import {
  CodedError,
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
  WsErrorCode,
} from '@coffeechat/contracts';
import type { Broker, Logger } from '@coffeechat/service-kit';
import { traceConsume, tracePublish } from '@coffeechat/telemetry';
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

const REPLY_TO = 'amq.rabbitmq.reply-to';
const JSON_TYPE = 'application/json';
const joinReply = validator(JoinReply);
const membershipEvent = validator(MembershipEvent);

const unavailable = (what: string) => new CodedError(WsErrorCode.UNAVAILABLE, what);

interface PendingCall {
  resolve: (reply: JoinReply) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class AmqpChatBackend implements ChatBackend {
  private readonly queueName: string;
  private readonly calls = new Map<string, PendingCall>();
  /** how many times the gateway queue was set up (more than once = after a reconnect) */
  private queueSetups = 0;
  private queue?: ChannelWrapper;
  private publisher?: ChannelWrapper;
  private rpc?: ChannelWrapper;

  constructor(
    private readonly broker: Broker,
    private readonly topology: Topology,
    private readonly settings: AmqpBackendSettings,
    private readonly logger: Logger,
  ) {
    this.queueName = topology.gatewayQueue(settings.gatewayId);
  }

  isUp(): boolean {
    return this.broker.isConnected();
  }

  start(events: BackendEvents, boundRooms: () => Iterable<string>): void {
    const { connection } = this.broker;
    const t = this.topology;
    connection.on('disconnect', () => this.failCalls('broker connection lost'));

    this.queue = connection.createChannel({
      name: 'gateway-queue',
      confirm: false,
      setup: async (ch: Channel) => {
        await ch.assertExchange(t.deliveryExchange, 'direct', { durable: true });
        await ch.assertExchange(t.eventsExchange, 'topic', { durable: true });
        await ch.assertQueue(this.queueName, { exclusive: true, autoDelete: true, durable: false });
        await ch.bindQueue(this.queueName, t.eventsExchange, 'membership.*');
        const rooms = [...boundRooms()];
        await Promise.all(rooms.map((roomId) => ch.bindQueue(this.queueName, t.deliveryExchange, t.roomKey(roomId))));
        if (rooms.length > 0) this.logger.info({ rooms: rooms.length }, 'room bindings restored');
        await ch.consume(
          this.queueName,
          (msg) => msg && traceConsume(msg, this.queueName, () => this.dispatch(msg, events)),
          { noAck: true },
        );
        this.queueSetups += 1;
        if (this.queueSetups > 1) events.restored();
      },
    });
    this.publisher = connection.createChannel({
      name: 'gateway-publisher',
      confirm: true,
      setup: async (ch: Channel) => {
        await ch.assertExchange(t.inboundExchange, 'direct', { durable: true });
        await ch.assertExchange(t.deliveryExchange, 'direct', { durable: true });
      },
    });
    this.rpc = connection.createChannel({
      name: 'gateway-rpc',
      confirm: false,
      setup: async (ch: Channel) => {
        await ch.consume(REPLY_TO, (msg) => msg && traceConsume(msg, REPLY_TO, () => this.settle(msg)), {
          noAck: true,
        });
      },
    });
    for (const wrapper of [this.queue, this.publisher, this.rpc]) {
      wrapper.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'broker channel set-up failed'));
    }
  }

  async bindRoom(roomId: string): Promise<void> {
    const queue = this.ready(this.queue);
    // A bind issued while the channel's set-up is still declaring the queue would fail; wait it out.
    await this.within(queue.waitForConnect(), 'broker not ready');
    await this.within(
      queue.bindQueue(this.queueName, this.topology.deliveryExchange, this.topology.roomKey(roomId)),
      'bind failed',
    );
  }

  async unbindRoom(roomId: string): Promise<void> {
    if (!this.queue || !this.isUp()) return; // the reconnect set-up binds only rooms still in use
    await this.queue.unbindQueue(this.queueName, this.topology.deliveryExchange, this.topology.roomKey(roomId));
  }

  join(request: JoinRequest): Promise<JoinReply> {
    const rpc = this.ready(this.rpc);
    const correlationId = randomUUID();
    return new Promise<JoinReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(correlationId);
        reject(unavailable('the router did not answer'));
      }, this.settings.timeoutMs);
      this.calls.set(correlationId, { resolve, reject, timer });
      const queue = this.topology.routerRpcQueue;
      tracePublish({ exchange: '', routingKey: queue, correlationId }, (headers) =>
        rpc.sendToQueue(queue, Buffer.from(JSON.stringify(request)), {
          replyTo: REPLY_TO,
          correlationId,
          expiration: String(this.settings.timeoutMs),
          contentType: JSON_TYPE,
          headers,
          timeout: this.settings.timeoutMs,
        }),
      ).catch(() => this.settleCall(correlationId, (call) => call.reject(unavailable('broker unavailable'))));
    });
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
    await this.within(
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
      'broker unavailable',
    );
  }

  async close(): Promise<void> {
    this.failCalls('gateway shutting down');
    await Promise.allSettled([this.queue?.close(), this.publisher?.close(), this.rpc?.close()]);
  }

  // ---- internals ----

  private async publishInbound(roomId: string, message: InboundSend | InboundRead): Promise<void> {
    const publisher = this.ready(this.publisher);
    const exchange = this.topology.inboundExchange;
    const routingKey = this.topology.partitionKey(partitionOf(roomId, this.settings.partitions));
    const content = Buffer.from(JSON.stringify(message));
    await this.within(
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

  private async within<T>(work: Promise<T>, what: string, fail = unavailable): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(fail(what)), this.settings.timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (err) {
      throw err instanceof CodedError ? err : fail(what);
    } finally {
      clearTimeout(timer);
    }
  }

  private dispatch(msg: ConsumeMessage, events: BackendEvents): void {
    const { exchange } = msg.fields;
    const headers = msg.properties.headers ?? {};
    if (exchange === this.topology.deliveryExchange) {
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
      return;
    }
    if (exchange === this.topology.eventsExchange) {
      const event = parseJson(msg.content, membershipEvent.check);
      if (!event) {
        this.drop(msg, 'invalid membership event');
        return;
      }
      events.membership(event);
      return;
    }
    const connId = stringHeader(headers[Header.connId]);
    if (connId) events.connFrame({ connId, bytes: msg.content });
    else this.drop(msg, 'connection frame without connection id');
  }

  private settle(msg: ConsumeMessage): void {
    const id = msg.properties.correlationId;
    if (typeof id !== 'string') return;
    const reply = parseJson(msg.content, joinReply.check);
    this.settleCall(id, (call) =>
      reply ? call.resolve(reply) : call.reject(new Error('invalid join reply from the router')),
    );
  }

  private settleCall(id: string, settle: (call: PendingCall) => void): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    clearTimeout(call.timer);
    settle(call);
  }

  private failCalls(why: string): void {
    for (const id of [...this.calls.keys()]) this.settleCall(id, (call) => call.reject(unavailable(why)));
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
