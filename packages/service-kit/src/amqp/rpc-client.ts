/**
 * The asking side of request/reply over RabbitMQ, written once for every service (the way socket.io's
 * cluster adapter keeps request/response in its base class): requests go to the servers' queue with a
 * `correlationId`, replies come back on the direct reply-to pseudo-queue. Every call has a deadline,
 * fails at once while the broker is down, and fails when the connection drops. A reply that does not
 * pass its schema rejects the call. Requests and replies carry the trace context.
 *
 * A request expires in the queue (`expiration`) while its caller can still use an answer: up to a
 * second before the deadline (at most half of it), the rest left for the server to answer. With a backlog
 * deeper than the deadline, a server handed requests until the caller's very deadline answered mostly
 * callers that had given up while the next ones expired behind them, and its callers' retries kept the
 * backlog deep: a reconnect storm's joins collapsed that way to 13 answered a second (docs/reliability.md).
 */
import { randomUUID } from 'node:crypto';
import { CodedError, WsErrorCode } from '@coffeechat/contracts';
import { traceConsume, tracePublish } from '@coffeechat/telemetry';
import type { Channel, ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';
import type { Broker } from './broker.js';
import { consumeQueue } from './consumer.js';
import { unavailable } from './deadline.js';

const REPLY_TO = 'amq.rabbitmq.reply-to';

/** What is left of a call's deadline for the server to answer once the request leaves the queue. */
const ANSWER_TIME_MS = 1000;

/** How long a request of a call with this deadline may wait in the queue. */
const queueTtlMs = (timeoutMs: number): number =>
  Math.max(1, timeoutMs - Math.min(ANSWER_TIME_MS, Math.floor(timeoutMs / 2)));

export interface RpcClientOptions<Reply> {
  broker: Broker;
  logger: Logger;
  /** the channel's name (in logs and the management UI) */
  name: string;
  /** the other side, as errors name it ("the router") */
  peer: string;
  queue: string;
  timeoutMs: number;
  isReply: (value: unknown) => value is Reply;
  /** publish `mandatory`: without a server (no queue) a request comes back at once instead of timing out */
  mandatory?: boolean;
}

/** The server did not answer within the deadline (UNAVAILABLE). */
export class RpcTimeout extends CodedError<'UNAVAILABLE'> {
  constructor(peer: string) {
    super(WsErrorCode.UNAVAILABLE, `${peer} did not answer`);
    this.name = 'RpcTimeout';
  }
}

interface PendingCall<Reply> {
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class RpcClient<Request, Reply> {
  private readonly calls = new Map<string, PendingCall<Reply>>();
  private channel?: ChannelWrapper;

  constructor(private readonly options: RpcClientOptions<Reply>) {}

  start(): void {
    const { broker, logger, name, mandatory } = this.options;
    this.channel = broker.channel({
      name,
      confirm: false,
      setup: async (ch: Channel) => {
        if (mandatory) ch.on('return', (msg: ConsumeMessage) => this.returned(msg));
        await consumeQueue(ch, {
          broker,
          logger,
          queue: REPLY_TO,
          options: { noAck: true },
          onMessage: (msg) => traceConsume(msg, REPLY_TO, () => this.settle(msg)),
        });
      },
    });
    broker.connection.on('disconnect', () => this.failAll('broker connection lost'));
  }

  /** The server's reply; rejects with UNAVAILABLE when there is none in time (`RpcTimeout`) or no broker. */
  call(request: Request): Promise<Reply> {
    const { broker, queue, timeoutMs, peer, mandatory } = this.options;
    const channel = this.channel;
    if (!channel || !broker.isConnected()) return Promise.reject(unavailable('broker unavailable'));
    const correlationId = randomUUID();
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(
        () => this.settleCall(correlationId, (call) => call.reject(new RpcTimeout(peer))),
        timeoutMs,
      );
      this.calls.set(correlationId, { resolve, reject, timer });
      tracePublish({ exchange: '', routingKey: queue, correlationId }, (headers) =>
        channel.sendToQueue(queue, Buffer.from(JSON.stringify(request)), {
          replyTo: REPLY_TO,
          correlationId,
          expiration: String(queueTtlMs(timeoutMs)),
          contentType: 'application/json',
          headers,
          timeout: timeoutMs,
          ...(mandatory ? { mandatory } : {}),
        }),
      ).catch(() => this.settleCall(correlationId, (call) => call.reject(unavailable('broker unavailable'))));
    });
  }

  async close(): Promise<void> {
    this.failAll('shutting down');
    await this.channel?.close();
  }

  private settle(msg: ConsumeMessage): void {
    const id = msg.properties.correlationId;
    if (typeof id !== 'string') return;
    let reply: Reply | undefined;
    try {
      const value: unknown = JSON.parse(msg.content.toString('utf8'));
      if (this.options.isReply(value)) reply = value;
    } catch {
      // reported below
    }
    this.settleCall(id, (call) =>
      reply !== undefined ? call.resolve(reply) : call.reject(new Error(`invalid reply from ${this.options.peer}`)),
    );
  }

  /** A `mandatory` request no queue took. */
  private returned(msg: ConsumeMessage): void {
    const id = msg.properties.correlationId;
    if (typeof id === 'string')
      this.settleCall(id, (call) => call.reject(unavailable(`${this.options.peer} is not running`)));
  }

  private settleCall(id: string, settle: (call: PendingCall<Reply>) => void): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    clearTimeout(call.timer);
    settle(call);
  }

  private failAll(why: string): void {
    const error: CodedError = unavailable(why);
    for (const id of [...this.calls.keys()]) this.settleCall(id, (call) => call.reject(error));
  }
}
