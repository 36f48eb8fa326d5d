/**
 * The answering side of request/reply over RabbitMQ, written once for every service: competing
 * consumers on a quorum queue (it survives the loss of a cluster node), each request validated at the boundary and answered on its `replyTo`
 * with its `correlationId`. One policy for what goes wrong:
 * - a malformed request (not JSON, or not the request schema) gets the service's bad-request reply at
 *   once, and a copy goes to the service's dead-letter exchange with the reason (`x-dead-reason`);
 * - a request that fails to be answered (a store is down) gets the service's failure reply;
 * - a request is acked once answered, and only on the channel it came from (after a reconnect the
 *   broker redelivers what was not acked);
 * - a request whose `replyTo` is not the direct reply-to pseudo-queue is not answered (the reply would be
 *   written into another process's queue) and goes to the dead-letter exchange.
 * Requests and replies carry the trace context. `stop()` takes no more requests and waits for those in hand.
 */
import { type Exchange, Header, isDirectReplyTo, type Validated } from '@coffeechat/contracts';
import { traceConsume, tracePublish } from '@coffeechat/telemetry';
import type { Channel, ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';
import type { Broker } from './broker.js';
import { ChannelGeneration } from './channel-generation.js';
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
  private readonly channel: ChannelWrapper;
  /** deliveries of an earlier channel must not be acked on the new one */
  private readonly generation = new ChannelGeneration();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: RpcServerOptions<Request, Reply>) {
    const { broker, name, queue, prefetch, deadLetterExchange } = options;
    this.channel = broker.channel({
      name,
      confirm: false,
      setup: this.generation.counting(async (ch: Channel) => {
        await declareExchanges(ch, deadLetterExchange);
        await declareQuorumQueue(broker.connection, ch, queue);
        // Here rather than as the consumer's option: amqp-connection-manager leaves that promise unhandled
        // when the channel closes during a re-attach (the process would end on an unhandled rejection).
        await ch.prefetch(prefetch);
      }),
    });
  }

  /** Resolves once consuming (amqp-connection-manager waits for the broker and re-attaches after a reconnect). */
  async start(): Promise<void> {
    const { queue } = this.options;
    await this.channel.consume(queue, (msg) => {
      const work = traceConsume(msg, queue, () => this.handle(msg, this.generation.current)).catch((err: unknown) =>
        this.options.logger.warn({ err: (err as Error).message, queue }, 'request handling failed'),
      );
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    });
  }

  async stop(): Promise<void> {
    await this.channel.cancelAll().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    await this.channel.close();
  }

  private async handle(msg: ConsumeMessage, generation: number): Promise<void> {
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
    if (generation === this.generation.current) this.channel.ack(msg);
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
      this.channel.sendToQueue(replyTo, Buffer.from(JSON.stringify(body)), {
        contentType: 'application/json',
        correlationId,
        headers,
        timeout: REPLY_TIMEOUT_MS,
      }),
    ).catch((err: unknown) => this.options.logger.warn({ err: (err as Error).message }, 'reply not sent'));
  }

  private async deadLetter(msg: ConsumeMessage, reason: string): Promise<void> {
    const { deadLetterExchange, queue, logger } = this.options;
    await this.channel
      .publish(deadLetterExchange.name, '', msg.content, {
        contentType: msg.properties.contentType,
        persistent: true,
        headers: { [Header.deadReason]: reason.slice(0, 500), 'x-original-queue': queue },
        timeout: REPLY_TIMEOUT_MS,
      })
      .catch((err: unknown) => logger.warn({ err: (err as Error).message, queue }, 'could not dead-letter a request'));
  }
}
