/**
 * A channel per partition queue, so `ack(multiple)` and prefetch only touch that partition. Every
 * router consumes every partition; single-active-consumer lets one of them own it and fails over to
 * another when its channel goes away. Each (re)opened channel gets a fresh worker: a new owner
 * trusts nothing a previous one knew.
 */
import type { Topology } from '@coffeechat/contracts';
import type { Broker, Logger } from '@coffeechat/service-kit';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
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
        this.options.broker.connection.createChannel({
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
    const { topology, prefetch, createWorker, logger, metrics } = this.options;
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
    const settler: Settler = {
      isOpen: () => open,
      ack: (d, upTo) => guard('ack', () => ch.ack(d, upTo)),
      nack: (d, requeue) => guard('nack', () => ch.nack(d, false, requeue)),
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
    await ch.consume(
      queue,
      (msg: ConsumeMessage | null) => {
        if (msg) worker.push(msg);
      },
      { noAck: false },
    );
    this.active.set(partition, { channel: ch, worker });
    metrics.activePartitions.inc();
  }
}
