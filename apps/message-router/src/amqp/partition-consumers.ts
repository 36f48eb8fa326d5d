/**
 * A channel per partition queue, so `ack(multiple)` and prefetch only touch that partition. Every
 * router consumes every partition; single-active-consumer lets one of them own it and fails over to
 * another when its channel goes away. Each (re)opened channel gets a fresh worker: a new owner
 * trusts nothing a previous one knew.
 */
import { Header, type Topology } from '@coffeechat/contracts';
import { type Broker, consumeQueue, type Logger } from '@coffeechat/service-kit';
import { startConsumeSpan } from '@coffeechat/telemetry';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { InboundDelivery } from '../inbound.js';
import type { RouterMetrics } from '../metrics.js';
import type { PartitionWorker, Settler } from '../partition-worker.js';
import { declarePartition } from './topology.js';

interface Active {
  channel: Channel;
  worker: PartitionWorker;
}

export interface PartitionConsumersOptions {
  broker: Broker;
  topology: Topology;
  partitions: number;
  prefetch: number;
  createWorker: (partition: number, settler: Settler) => PartitionWorker;
  metrics: RouterMetrics;
  logger: Logger;
}

export class PartitionConsumers {
  private readonly wrappers: ChannelWrapper[] = [];
  private readonly active = new Map<number, Active>();
  private stopped = false;

  constructor(private readonly options: PartitionConsumersOptions) {}

  start(): void {
    for (let partition = 0; partition < this.options.partitions; partition++) {
      this.wrappers.push(
        this.options.broker.channel({
          name: `inbound-p${partition}`,
          confirm: false,
          setup: (ch: Channel) => this.consume(ch, partition),
        }),
      );
    }
  }

  /** Waits until every partition channel has been set up once (its consumer registered). */
  async waitForConsumers(): Promise<void> {
    await Promise.all(this.wrappers.map((w) => w.waitForConnect()));
  }

  /**
   * Finishes each partition's running batch, then closes the channels: the deliveries not handled yet
   * return to their queues (ahead of newer messages) and single-active-consumer hands each partition to
   * another router, which continues in order.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.active.values()].map(({ worker }) => worker.stop()));
    await Promise.all(this.wrappers.map((w) => w.close()));
  }

  private async consume(ch: Channel, partition: number): Promise<void> {
    const { broker, topology, prefetch, createWorker, logger, metrics } = this.options;
    if (this.stopped) return;
    const queue = await declarePartition(ch, topology, partition);
    await ch.prefetch(prefetch);
    let open = true;
    const guard = (what: string, fn: () => void) => {
      if (!open) return;
      try {
        fn();
      } catch (err) {
        logger.warn({ err: (err as Error).message, partition }, `${what} failed; the broker will redeliver`);
      }
    };
    // each delivery as the worker sees it, and the AMQP message it settles
    const messages = new WeakMap<InboundDelivery, ConsumeMessage>();
    const settle = (d: InboundDelivery, what: string, fn: (msg: ConsumeMessage) => void) => {
      const msg = messages.get(d);
      if (msg) guard(what, () => fn(msg));
    };
    const settler: Settler = {
      isOpen: () => open,
      ack: (d, upTo) => settle(d, 'ack', (msg) => ch.ack(msg, upTo)),
      nack: (d, requeue) => settle(d, 'nack', (msg) => ch.nack(msg, false, requeue)),
    };
    const worker = createWorker(partition, settler);
    ch.once('close', () => {
      open = false;
      worker.abandon();
      if (this.active.get(partition)?.channel === ch) {
        this.active.delete(partition);
        metrics.activePartitions.dec();
      }
    });
    await consumeQueue(ch, {
      broker,
      logger,
      queue,
      onMessage: (msg) => {
        const delivery = inboundDelivery(msg, queue);
        messages.set(delivery, msg);
        worker.push(delivery);
      },
    });
    this.active.set(partition, { channel: ch, worker });
    metrics.activePartitions.inc();
  }
}

function inboundDelivery(msg: ConsumeMessage, queue: string): InboundDelivery {
  const sentAt = msg.properties.headers?.[Header.sentAt];
  return {
    content: msg.content,
    redelivered: msg.fields.redelivered,
    routingKey: msg.fields.routingKey,
    properties: msg.properties,
    ...(typeof sentAt === 'number' ? { sentAt } : {}),
    // the worker hands the message's trace to its store write and its publications itself
    span: startConsumeSpan(msg, queue, { carriedByHand: true }),
  };
}
