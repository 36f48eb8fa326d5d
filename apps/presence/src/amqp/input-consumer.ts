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
  type Validated,
  validator,
} from '@coffeechat/contracts';
import { type Broker, type Consuming, consumeQueue, type Logger, type Settle } from '@coffeechat/service-kit';
import { traceConsume } from '@coffeechat/telemetry';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { declareInputTopology } from './input-topology.js';

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

export class InputConsumer {
  private channel?: ChannelWrapper;
  /** the current channel's consumer */
  private consuming?: Consuming;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(private readonly options: InputConsumerOptions) {}

  /** Every (re)connect's channel set-up declares the topology and consumes (`broker.isReady()` says when). */
  start(): void {
    const { broker, names, logger } = this.options;
    this.channel = broker.channel({
      name: 'presence-input',
      setup: async (channel: Channel) => {
        await declareInputTopology(channel, names);
        await channel.prefetch(PREFETCH);
        if (this.stopping) return;
        this.consuming = await consumeQueue(channel, {
          broker,
          logger,
          queue: names.inputQueue,
          onMessage: (msg, settle) => this.track(traceConsume(msg, names.inputQueue, () => this.handle(msg, settle))),
        });
      },
    });
  }

  /** Stops taking deliveries, lets those in hand finish, closes the channel. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consuming?.cancel().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    await this.channel?.close();
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(msg: ConsumeMessage, settle: Settle): Promise<void> {
    const input = this.parse(msg);
    if (!input) {
      this.options.onMalformed();
      settle.nack(msg, false);
      return;
    }
    for (;;) {
      try {
        await this.options.apply(input);
        settle.ack(msg);
        return;
      } catch (err) {
        this.options.logger.warn({ err, kind: input.kind }, 'applying presence input failed; retrying');
        if (this.stopping || !settle.isOpen()) {
          settle.nack(msg, true);
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
