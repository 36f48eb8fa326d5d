/**
 * Consumes what gateways send (connection events, heartbeats) from the shared input queue, as
 * competing consumers across presence replicas. The scripts make the order of application
 * irrelevant, so deliveries are handled concurrently up to the prefetch. A message that is not
 * JSON or not a `PresenceInput` is logged and rejected to the dead-letter queue; a message that
 * fails for a transient reason (Redis down) is retried here until it applies or we stop.
 */
import {
  PresenceConnected,
  PresenceDisconnected,
  PresenceHeartbeat,
  type PresenceInput as PresenceInputValue,
  type PresenceTopology,
  presenceInputQueueArguments,
  type Validated,
  validator,
} from '@coffeechat/contracts';
import {
  type Broker,
  ChannelGeneration,
  declareDeadLetters,
  declareExchanges,
  type Logger,
} from '@coffeechat/service-kit';
import { traceConsume } from '@coffeechat/telemetry';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';

const PREFETCH = 32;
const RETRY_MS = 500;
// By `kind`, so a rejection names the field at fault rather than "not one of the union".
const checkInput: Record<PresenceInputValue['kind'], { validate: (value: unknown) => Validated<PresenceInputValue> }> =
  {
    connected: validator(PresenceConnected),
    disconnected: validator(PresenceDisconnected),
    heartbeat: validator(PresenceHeartbeat),
  };

export interface InputConsumerOptions {
  broker: Broker;
  names: PresenceTopology;
  logger: Logger;
  apply: (input: PresenceInputValue) => Promise<void>;
  onMalformed: () => void;
}

/** Declares the presence exchanges and queues that the input side owns. */
export async function declareInputTopology(channel: ConfirmChannel, names: PresenceTopology): Promise<void> {
  await declareDeadLetters(channel, names.exchanges.deadLetter, names.deadQueue);
  await declareExchanges(channel, names.exchanges.input);
  await channel.assertQueue(names.inputQueue, {
    durable: true,
    arguments: presenceInputQueueArguments(names.deadLetterExchange),
  });
  await channel.bindQueue(names.inputQueue, names.inputExchange, '');
}

export class InputConsumer {
  private readonly channel: ChannelWrapper;
  /** deliveries of an earlier channel must not be acked on the new one (they are redelivered anyway) */
  private readonly generation = new ChannelGeneration();
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(private readonly options: InputConsumerOptions) {
    this.channel = options.broker.channel({
      name: 'presence-input',
      setup: this.generation.counting(async (channel: ConfirmChannel) => {
        await declareInputTopology(channel, options.names);
        // here, not as the consumer's option: amqp-connection-manager leaves that one's promise unhandled
        await channel.prefetch(PREFETCH);
      }),
    });
  }

  async start(): Promise<void> {
    const queue = this.options.names.inputQueue;
    await this.channel.consume(queue, (msg) =>
      this.track(traceConsume(msg, queue, () => this.handle(msg, this.generation.current))),
    );
  }

  /** Stops taking deliveries, lets those in hand finish, closes the channel. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.channel.cancelAll().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    await this.channel.close();
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(msg: ConsumeMessage, generation: number): Promise<void> {
    const input = this.parse(msg);
    if (!input) {
      this.options.onMalformed();
      if (generation === this.generation.current) this.channel.nack(msg, false, false);
      return;
    }
    for (;;) {
      try {
        await this.options.apply(input);
        if (generation === this.generation.current) this.channel.ack(msg);
        return;
      } catch (err) {
        this.options.logger.warn({ err, kind: input.kind }, 'applying presence input failed; retrying');
        if (this.stopping || generation !== this.generation.current) {
          if (generation === this.generation.current) this.channel.nack(msg, false, true);
          return;
        }
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private parse(msg: ConsumeMessage): PresenceInputValue | undefined {
    let value: unknown;
    try {
      value = JSON.parse(msg.content.toString('utf8'));
    } catch {
      this.options.logger.warn(
        { type: msg.properties.type, bytes: msg.content.length },
        'dead-lettering presence input: not JSON',
      );
      return undefined;
    }
    const kind = (value as { kind?: unknown } | null)?.kind;
    const check =
      typeof kind === 'string' && Object.hasOwn(checkInput, kind)
        ? checkInput[kind as PresenceInputValue['kind']]
        : undefined;
    const result = check
      ? check.validate(value)
      : { ok: false as const, message: `unknown kind ${JSON.stringify(kind)}` };
    if (result.ok) return result.value;
    this.options.logger.warn(
      { type: msg.properties.type, reason: result.message },
      'dead-lettering malformed presence input',
    );
    return undefined;
  }
}
