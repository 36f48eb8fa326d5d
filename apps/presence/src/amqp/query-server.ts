/**
 * Answers "current presence of these users" for gateways (they fill `joined.presence` with it):
 * competing consumers on the RPC queue, replies on the caller's `replyTo` (the direct reply-to).
 * A malformed request gets an error reply and is copied to the dead-letter exchange (the queue itself
 * has no dead-letter exchange: requests that expire unanswered while presence is down are not poison).
 */
import {
  Header,
  type PresenceQueryReply,
  PresenceQueryRequest,
  type PresenceTopology,
  type VersionedPresence,
  validator,
} from '@coffeechat/contracts';
import type { Broker, Logger } from '@coffeechat/service-kit';
import { traceConsume, tracePublish } from '@coffeechat/telemetry';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';

const PREFETCH = 16;
const checkRequest = validator(PresenceQueryRequest);

export interface QueryServerOptions {
  broker: Broker;
  names: PresenceTopology;
  logger: Logger;
  read: (userIds: readonly string[]) => Promise<Map<string, VersionedPresence>>;
  onMalformed: () => void;
  onAnswered: () => void;
}

export class QueryServer {
  private readonly channel: ChannelWrapper;
  private generation = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: QueryServerOptions) {
    this.channel = o.broker.connection.createChannel({
      name: 'presence-rpc',
      confirm: false,
      setup: async (channel: ConfirmChannel) => {
        await channel.assertExchange(o.names.deadLetterExchange, 'fanout', { durable: true });
        await channel.assertQueue(o.names.rpcQueue, { durable: true });
      },
    });
    this.channel.on('connect', () => this.generation++);
  }

  async start(): Promise<void> {
    await this.channel.consume(
      this.o.names.rpcQueue,
      (msg) => {
        const work = traceConsume(msg, this.o.names.rpcQueue, () => this.handle(msg, this.generation));
        this.inFlight.add(work);
        void work.finally(() => this.inFlight.delete(work));
      },
      { prefetch: PREFETCH },
    );
  }

  async stop(): Promise<void> {
    await this.channel.cancelAll().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    await this.channel.close();
  }

  private async handle(msg: ConsumeMessage, generation: number): Promise<void> {
    const { replyTo, correlationId } = msg.properties;
    const reply = (body: PresenceQueryReply) =>
      replyTo
        ? tracePublish({ exchange: '', routingKey: replyTo, correlationId }, (headers) =>
            this.channel.sendToQueue(replyTo, Buffer.from(JSON.stringify(body)), {
              contentType: 'application/json',
              correlationId,
              headers,
            }),
          )
        : Promise.resolve(false);
    const request = this.parse(msg);
    if (!request.ok) {
      this.o.onMalformed();
      this.o.logger.warn({ reason: request.message }, 'dead-lettering malformed presence query');
      await reply({ ok: false, message: request.message }).catch(() => undefined);
      await this.channel
        .publish(this.o.names.deadLetterExchange, '', msg.content, {
          contentType: msg.properties.contentType,
          headers: { [Header.deadReason]: request.message, 'x-original-queue': this.o.names.rpcQueue },
        })
        .catch((err: unknown) => this.o.logger.warn({ err }, 'could not dead-letter a malformed presence query'));
      if (generation === this.generation) this.channel.ack(msg);
      return;
    }
    try {
      const users = await this.o.read(request.value.userIds);
      await reply({ ok: true, users: Object.fromEntries(users) });
      this.o.onAnswered();
    } catch (err) {
      this.o.logger.warn({ err }, 'presence query failed');
      await reply({ ok: false, message: 'presence store unavailable' }).catch(() => undefined);
    }
    if (generation === this.generation) this.channel.ack(msg);
  }

  private parse(msg: ConsumeMessage) {
    try {
      return checkRequest.validate(JSON.parse(msg.content.toString('utf8')));
    } catch {
      return { ok: false as const, message: 'request is not valid JSON' };
    }
  }
}
