/**
 * The answering side of request/reply over RabbitMQ, written once for every service: competing
 * consumers on a quorum queue (it survives the loss of a cluster node), each request validated at the boundary and answered on its `replyTo`
 * with its `correlationId`. One policy for what goes wrong:
 * - a malformed request (not JSON, or not the request schema) gets the service's bad-request reply at
 *   once, and a copy goes to the service's dead-letter exchange with the reason (`x-dead-reason`);
 * - a request that fails to be answered (a store is down) gets the service's failure reply;
 * - a request is acked once answered, and only on the channel it came from (after a reconnect the
 *   broker redelivers what was not acked; consumer.ts);
 * - a request whose `replyTo` is not the direct reply-to pseudo-queue is not answered (the reply would be
 *   written into another process's queue) and goes to the dead-letter exchange.
 * Requests and replies carry the trace context. `stop()` takes no more requests and waits for those in hand.
 */
import { type Exchange, Header, isDirectReplyTo, type Validated } from '@coffeechat/contracts';
import { traceConsume, tracePublish } from '@coffeechat/telemetry';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';
import type { Broker } from './broker.js';
import { type Consuming, consumeQueue, type Settle } from './consumer.js';
import { declareExchanges, declareQuorumQueue } from './declare.js';

/** How long a reply may wait for the broker before it is given up (the caller times out anyway). */
const REPLY_TIMEOUT_MS = 5000;

export type RpcOutcome<Reply> =
  | { kind: 'answered'; reply: Reply }
  | { kind: 'bad_request'; reason: string }
  | { kind: 'failed'; error: unknown };

export interface RpcServerOptions<Request, Reply> {
  broker: Broker;
  logger: Logger;
  /** the channel's name (in logs and the management UI) */
  name: string;
  queue: string;
  prefetch: number;
  /** where malformed requests are copied */
  deadLetterExchange: Exchange;
  request: { validate(value: unknown): Validated<Request> };
  answer(request: Request): Promise<Reply>;
  /** the reply to a malformed request */
  badRequest(reason: string): Reply;
  /** the reply when `answer` failed */
  failed(error: unknown): Reply;
  /** every outcome, for metrics */
  observe?(outcome: RpcOutcome<Reply>): void;
}

export class RpcServer<Request, Reply> {
  private channel?: ChannelWrapper;
  private consuming?: Consuming;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: RpcServerOptions<Request, Reply>) {}

  /** Every (re)connect's channel set-up declares the queue and consumes it (`broker.isReady()` says when). */
  start(): void {
    const { broker, logger, name, queue, prefetch, deadLetterExchange } = this.options;
    this.channel = broker.channel({
      name,
      confirm: false,
      setup: async (ch) => {
        await declareExchanges(ch, deadLetterExchange);
        await declareQuorumQueue(broker.connection, ch, queue);
        await ch.prefetch(prefetch);
        if (this.stopping) return;
        this.consuming = await consumeQueue(ch, {
          broker,
          logger,
          queue,
          onMessage: (msg, settle) => this.take(msg, settle),
        });
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consuming?.cancel().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    await this.channel?.close();
  }

  private take(msg: ConsumeMessage, settle: Settle): void {
    const { queue, logger } = this.options;
    const work = traceConsume(msg, queue, () => this.handle(msg, settle)).catch((err: unknown) =>
      logger.warn({ err: (err as Error).message, queue }, 'request handling failed'),
    );
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(msg: ConsumeMessage, settle: Settle): Promise<void> {
    const { logger, queue, observe } = this.options;
    const request = this.parse(msg.content);
    if (!isDirectReplyTo(msg.properties.replyTo)) {
      const reason = 'replyTo is not the direct reply-to pseudo-queue';
      logger.warn({ queue, replyTo: String(msg.properties.replyTo).slice(0, 200) }, `${reason}; dead-lettered`);
      observe?.({ kind: 'bad_request', reason });
      await this.deadLetter(msg, reason);
    } else if (!request.ok) {
      logger.warn({ queue, reason: request.message }, 'malformed request; answered and dead-lettered');
      observe?.({ kind: 'bad_request', reason: request.message });
      await this.reply(msg, this.options.badRequest(request.message));
      await this.deadLetter(msg, request.message);
    } else {
      try {
        const reply = await this.options.answer(request.value);
        observe?.({ kind: 'answered', reply });
        await this.reply(msg, reply);
      } catch (error) {
        logger.warn({ err: (error as Error).message, queue }, 'request failed');
        observe?.({ kind: 'failed', error });
        await this.reply(msg, this.options.failed(error));
      }
    }
    settle.ack(msg);
  }

  private publishChannel(): ChannelWrapper {
    if (!this.channel) throw new Error('RpcServer: start() first');
    return this.channel;
  }

  private parse(content: Buffer): Validated<Request> | { ok: false; message: string } {
    try {
      return this.options.request.validate(JSON.parse(content.toString('utf8')));
    } catch {
      return { ok: false, message: 'request is not valid JSON' };
    }
  }

  private async reply(msg: ConsumeMessage, body: Reply): Promise<void> {
    const { replyTo, correlationId } = msg.properties as { replyTo: string; correlationId?: string };
    await tracePublish({ exchange: '', routingKey: replyTo, ...(correlationId ? { correlationId } : {}) }, (headers) =>
      this.publishChannel().sendToQueue(replyTo, Buffer.from(JSON.stringify(body)), {
        contentType: 'application/json',
        correlationId,
        headers,
        timeout: REPLY_TIMEOUT_MS,
      }),
    ).catch((err: unknown) => this.options.logger.warn({ err: (err as Error).message }, 'reply not sent'));
  }

  private async deadLetter(msg: ConsumeMessage, reason: string): Promise<void> {
    const { deadLetterExchange, queue, logger } = this.options;
    await this.publishChannel()
      .publish(deadLetterExchange.name, '', msg.content, {
        contentType: msg.properties.contentType,
        persistent: true,
        headers: { [Header.deadReason]: reason.slice(0, 500), 'x-original-queue': queue },
        timeout: REPLY_TIMEOUT_MS,
      })
      .catch((err: unknown) => logger.warn({ err: (err as Error).message, queue }, 'could not dead-letter a request'));
  }
}
