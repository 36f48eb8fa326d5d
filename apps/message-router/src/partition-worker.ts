/**
 * One partition's owner for the life of one consumer channel: batches the deliveries, has each batch
 * handled (batch-handler.ts: store, publish, confirms) and only then acks it (`multiple`). Store, then
 * deliver, then ack: a crash anywhere means redelivery, which the unique keys turn into "publish the
 * stored one again". Outages are waited out; a batch that keeps failing for another reason is handled
 * one delivery at a time, so only the message at fault is returned to the broker (and dead-lettered by
 * it past `x-delivery-limit`).
 */
import { secondsSince, type TraceContext, withBatchSpan } from '@coffeechat/telemetry';
import { type BatchAttempt, BatchHandler, type BatchHandlerDeps, OwnershipLost } from './batch-handler.js';
import { Batcher } from './batcher.js';
import { isTransient, retryDelayMs } from './failures.js';
import type { InboundDelivery } from './inbound.js';

/** Settles deliveries on the channel they came from; a closed channel means the broker took them back. */
export interface Settler {
  isOpen(): boolean;
  ack(delivery: InboundDelivery, upTo: boolean): void;
  nack(delivery: InboundDelivery, requeue: boolean): void;
}

export interface PartitionWorkerDeps extends Omit<BatchHandlerDeps, 'now'> {
  batchMax: number;
  settler: Settler;
  now?: () => number;
  /** the pause before the n-th retry (tests shorten it) */
  retryDelayMs?: (attempt: number) => number;
}

type Outcome = 'done' | 'abandoned' | 'failed';

/** attempts of a batch (then of each of its messages alone) that fail for a non-transient reason */
const FAILURES_BEFORE_GIVING_UP = 3;

export class PartitionWorker {
  private readonly handler: BatchHandler;
  private readonly batcher: Batcher<InboundDelivery>;
  private readonly delayMs: (attempt: number) => number;
  private stopping = false;
  /** deliveries pushed and not settled yet (their spans end when they are) */
  private readonly open = new Set<InboundDelivery>();

  constructor(private readonly deps: PartitionWorkerDeps) {
    this.handler = new BatchHandler({ ...deps, now: deps.now ?? Date.now });
    this.batcher = new Batcher({ max: deps.batchMax, process: (batch) => this.processBatch(batch) });
    this.delayMs = deps.retryDelayMs ?? retryDelayMs;
  }

  push(delivery: InboundDelivery): void {
    this.open.add(delivery);
    if (delivery.sentAt !== undefined && !delivery.redelivered) {
      this.deps.metrics.hopLatency.observe({ hop: 'inbound_queue' }, secondsSince(delivery.sentAt));
    }
    this.batcher.push(delivery);
  }

  /** The channel closed: what has not started went back to the broker with it. */
  abandon(): void {
    this.stopping = true;
    this.batcher.discard();
    for (const delivery of this.open) delivery.span?.end(new Error('abandoned'));
    this.open.clear();
  }

  /**
   * Graceful stop: finishes the running batch (without retrying an outage forever) and starts no other.
   * The caller then closes the channel, which returns the deliveries not yet handled to the queue ahead
   * of newer ones, so the next owner continues in order. Cancelling the consumer first would let the
   * next owner take newer messages while older ones are still here.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.batcher.pause();
  }

  private async processBatch(batch: InboundDelivery[]): Promise<void> {
    const { metrics, settler, logger } = this.deps;
    const started = performance.now();
    metrics.batchSize.observe(batch.length);
    for (const d of batch) if (d.redelivered) metrics.redeliveries.inc();
    const spans = batch.flatMap((d) => d.span ?? []);
    try {
      // kept across every attempt, so what an earlier attempt stored still counts as new (events)
      const attempt: BatchAttempt = { insertedByUs: new Set(), owned: () => settler.isOpen() };
      const outcome = await withBatchSpan('store batch', spans, (_span, trace) =>
        this.attempt(batch, true, attempt, trace),
      );
      if (outcome !== 'failed') return;
      // Something in the batch fails for a reason of its own: find it by handling one at a time. A
      // returned message comes back after the ones behind it, so this (rare) path may reorder a room.
      for (const delivery of batch) {
        const alone = () => this.attempt([delivery], false, attempt, delivery.span?.context);
        if ((await (delivery.span ? delivery.span.run(alone) : alone())) === 'failed' && settler.isOpen()) {
          metrics.nacks.inc({ reason: 'failed' });
          settler.nack(delivery, true);
          delivery.span?.end(new Error('nacked'));
        }
      }
    } catch (err) {
      // Only a bug in the settling itself lands here; the channel's close returns the deliveries.
      logger.error({ err, partition: this.deps.partition }, 'batch handling broke');
    } finally {
      metrics.storeLatency.observe((performance.now() - started) / 1000);
      for (const d of batch) {
        d.span?.end();
        this.open.delete(d);
      }
    }
  }

  /**
   * Handles the deliveries and acks them. Outages are waited out (never counted against the messages);
   * any other failure is retried a few times too, since a store can fail a write for reasons of the
   * moment it does not label as transient, and giving up early would reorder the room (see above).
   */
  private async attempt(
    deliveries: InboundDelivery[],
    wholeBatch: boolean,
    attempt: BatchAttempt,
    trace: TraceContext | undefined,
  ): Promise<Outcome> {
    const { settler, logger, partition } = this.deps;
    let failures = 0;
    for (let tries = 0; ; tries++) {
      if (!settler.isOpen()) return 'abandoned';
      try {
        await this.handler.handle(deliveries, attempt, trace);
        if (!settler.isOpen()) return 'abandoned';
        const last = deliveries[deliveries.length - 1];
        if (last) settler.ack(last, wholeBatch);
        return 'done';
      } catch (err) {
        if (err instanceof OwnershipLost) return 'abandoned';
        if (isTransient(err)) {
          if (this.stopping) return 'abandoned';
          logger.warn({ err: (err as Error).message, partition, tries }, 'store or broker unavailable; retrying batch');
          await new Promise((r) => setTimeout(r, this.delayMs(tries)));
          continue;
        }
        failures++;
        logger.error({ err, partition, size: deliveries.length, failures }, 'batch failed');
        if (failures >= FAILURES_BEFORE_GIVING_UP || this.stopping) return 'failed';
        await new Promise((r) => setTimeout(r, this.delayMs(failures - 1)));
      }
    }
  }
}
