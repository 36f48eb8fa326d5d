/**
 * One partition's owner for the life of one consumer channel: batches the deliveries, checks
 * membership, stores sends with their seqs (the batch's one store write; explicit read markers are
 * raised alongside), publishes the results on a confirm channel and only then acks the batch
 * (`multiple`). Store, then deliver, then ack: a crash anywhere means redelivery, which the unique keys
 * turn into "publish the stored one again".
 */
import { Header, type InboundRead, type Topology } from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import { type ConsumeSpan, secondsSince, startConsumeSpan, withBatchSpan } from '@coffeechat/telemetry';
import type { ConsumeMessage } from 'amqplib';
import { Batcher } from './batcher.js';
import { isTransient, retryDelayMs } from './failures.js';
import { parseInbound } from './inbound.js';
import type { MembershipCache } from './membership-cache.js';
import type { RouterMetrics } from './metrics.js';
import type { ReadMark } from './mongo/read-repository.js';
import { deadLetter, errorToSender, messageStored, type Publication, roomMessage, roomRead } from './publications.js';
import { Sequencer } from './sequencer.js';
import { loadLastSeqs, type MessageRepository, type StoreRequest, storeSends } from './store-sends.js';

/** Settles deliveries on the channel they came from; a closed channel means the broker took them back. */
export interface Settler {
  isOpen(): boolean;
  ack(delivery: ConsumeMessage, upTo: boolean): void;
  nack(delivery: ConsumeMessage, requeue: boolean): void;
}

export interface Publisher {
  /** resolves once the broker confirmed every publication */
  publishAll(publications: readonly Publication[]): Promise<void>;
}

export interface ReadMarkers {
  /** tells for each mark whether it moved the stored marker */
  raise(marks: readonly ReadMark[]): Promise<boolean[]>;
}

export interface PartitionWorkerDeps {
  partition: number;
  topology: Topology;
  batchMax: number;
  membership: MembershipCache;
  messages: MessageRepository;
  reads: ReadMarkers;
  publisher: Publisher;
  settler: Settler;
  metrics: RouterMetrics;
  logger: Logger;
  now?: () => number;
}

type Outcome = 'done' | 'abandoned' | 'failed';

/** attempts of a batch (then of each of its messages alone) that fail for a non-transient reason */
const FAILURES_BEFORE_GIVING_UP = 3;

/** The deliveries' channel closed mid-batch; they are redelivered elsewhere, so the batch stops. */
class ChannelClosed extends Error {}

export class PartitionWorker {
  private readonly sequencer = new Sequencer();
  private readonly batcher: Batcher<ConsumeMessage>;
  private stopping = false;
  private readonly now: () => number;
  /** each delivery's CONSUMER span, from arrival until it is settled */
  private readonly spans = new Map<ConsumeMessage, ConsumeSpan>();
  private readonly queue: string;

  constructor(private readonly deps: PartitionWorkerDeps) {
    this.now = deps.now ?? Date.now;
    this.batcher = new Batcher({ max: deps.batchMax, process: (batch) => this.processBatch(batch) });
    this.queue = deps.topology.inboundQueue(deps.partition);
  }

  push(delivery: ConsumeMessage): void {
    this.spans.set(delivery, startConsumeSpan(delivery, this.queue));
    const sentAt = delivery.properties.headers?.[Header.sentAt];
    if (typeof sentAt === 'number' && !delivery.fields.redelivered) {
      this.deps.metrics.hopLatency.observe({ hop: 'inbound_queue' }, secondsSince(sentAt));
    }
    this.batcher.push(delivery);
  }

  /** The channel closed: what has not started went back to the broker with it. */
  abandon(): void {
    this.stopping = true;
    this.batcher.discard();
    for (const span of this.spans.values()) span.end(new Error('abandoned'));
    this.spans.clear();
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

  private async processBatch(batch: ConsumeMessage[]): Promise<void> {
    const { metrics, settler, logger } = this.deps;
    const started = performance.now();
    metrics.batchSize.observe(batch.length);
    for (const d of batch) if (d.fields.redelivered) metrics.redeliveries.inc();
    const spans = batch.flatMap((d) => this.spans.get(d) ?? []);
    try {
      // kept across every attempt, so what an earlier attempt stored still counts as new (events)
      const insertedByUs = new Set<string>();
      const outcome = await withBatchSpan('store batch', spans, () => this.attempt(batch, true, insertedByUs));
      if (outcome !== 'failed') return;
      // Something in the batch fails for a reason of its own: find it by handling one at a time. A
      // returned message comes back after the ones behind it, so this (rare) path may reorder a room.
      for (const delivery of batch) {
        const span = this.spans.get(delivery);
        const alone = () => this.attempt([delivery], false, insertedByUs);
        if ((await (span ? span.run(alone) : alone())) === 'failed' && settler.isOpen()) {
          metrics.nacks.inc({ reason: 'failed' });
          settler.nack(delivery, true);
          span?.end(new Error('nacked'));
        }
      }
    } catch (err) {
      // Only a bug in the settling itself lands here; the channel's close returns the deliveries.
      logger.error({ err, partition: this.deps.partition }, 'batch handling broke');
    } finally {
      metrics.storeLatency.observe((performance.now() - started) / 1000);
      for (const d of batch) {
        this.spans.get(d)?.end();
        this.spans.delete(d);
      }
    }
  }

  /**
   * Handles the deliveries and acks them. Outages are waited out (never counted against the messages);
   * any other failure is retried a few times too, since a store can fail a write for reasons of the
   * moment it does not label as transient, and giving up early would reorder the room (see above).
   */
  private async attempt(
    deliveries: ConsumeMessage[],
    wholeBatch: boolean,
    insertedByUs: Set<string>,
  ): Promise<Outcome> {
    const { settler, logger, partition } = this.deps;
    let failures = 0;
    for (let tries = 0; ; tries++) {
      if (!settler.isOpen()) return 'abandoned';
      try {
        await this.handle(deliveries, insertedByUs);
        if (!settler.isOpen()) return 'abandoned';
        const last = deliveries[deliveries.length - 1];
        if (last) settler.ack(last, wholeBatch);
        return 'done';
      } catch (err) {
        if (err instanceof ChannelClosed) return 'abandoned';
        if (isTransient(err)) {
          if (this.stopping) return 'abandoned';
          logger.warn({ err: (err as Error).message, partition, tries }, 'store or broker unavailable; retrying batch');
          await new Promise((r) => setTimeout(r, retryDelayMs(tries)));
          continue;
        }
        failures++;
        logger.error({ err, partition, size: deliveries.length, failures }, 'batch failed');
        if (failures >= FAILURES_BEFORE_GIVING_UP || this.stopping) return 'failed';
        await new Promise((r) => setTimeout(r, retryDelayMs(failures - 1)));
      }
    }
  }

  private async handle(deliveries: ConsumeMessage[], insertedByUs: Set<string>): Promise<void> {
    const { topology, membership, metrics, logger, partition } = this.deps;
    const parsed = deliveries.map((delivery) => ({ delivery, parsed: parseInbound(delivery.content) }));
    const roomIds = parsed.flatMap(({ parsed: p }) => (p.ok ? [p.value.roomId] : []));
    const rooms = roomIds.length > 0 ? await membership.rooms(roomIds) : new Map();
    const isMember = (roomId: string, userId: string) => rooms.get(roomId)?.memberIds.includes(userId) === true;

    const sends: StoreRequest[] = [];
    const reads: InboundRead[] = [];
    for (const { delivery, parsed: p } of parsed) {
      if (!p.ok) continue;
      if (p.value.kind === 'send' && isMember(p.value.roomId, p.value.senderId))
        sends.push({ ...p.value, redelivered: delivery.fields.redelivered });
      if (p.value.kind === 'read' && isMember(p.value.roomId, p.value.userId)) reads.push(p.value);
    }

    // The channel may have closed while membership was read: a new owner has these deliveries now.
    if (!this.deps.settler.isOpen()) throw new ChannelClosed();
    // Rooms met for the first time in this ownership: their last seq, read once for sends and reads.
    await loadLastSeqs(this.deps.messages, this.sequencer, [
      ...new Set([...sends.map((r) => r.roomId), ...reads.map((r) => r.roomId)]),
    ]);
    // Independent writes: a read marker only ever names a message stored by an earlier batch.
    const storing = performance.now();
    const [decisions, moved] = await Promise.all([
      storeSends(this.deps.messages, this.sequencer, sends, {
        now: this.now,
        insertedByUs,
        onConflict: () => metrics.seqConflicts.inc(),
      }),
      reads.length > 0 ? this.raiseReads(reads) : [],
    ]);
    metrics.batchStep.observe({ step: 'store' }, (performance.now() - storing) / 1000);

    const publications: Publication[] = [];
    // what answers a delivery continues its trace
    const emit = (delivery: ConsumeMessage, ...answers: Publication[]) => {
      const trace = this.spans.get(delivery)?.context;
      for (const p of answers) publications.push(trace ? { ...p, trace } : p);
    };
    let sendIndex = 0;
    let readIndex = 0;
    let stored = 0;
    let duplicates = 0;
    for (const { delivery, parsed: p } of parsed) {
      if (!p.ok) {
        logger.warn({ partition, reason: p.reason }, 'invalid inbound payload; dead-lettered');
        metrics.deadLetters.inc({ reason: 'invalid' });
        emit(
          delivery,
          deadLetter(
            topology,
            delivery.content,
            { routingKey: delivery.fields.routingKey, properties: delivery.properties },
            p.reason,
          ),
        );
        continue;
      }
      const inbound = p.value;
      if (inbound.kind === 'read') {
        if (!isMember(inbound.roomId, inbound.userId)) continue; // nobody to tell: reads carry no reply address
        const mark = moved[readIndex++];
        if (mark) {
          metrics.readsMoved.inc();
          emit(delivery, roomRead(topology, mark.roomId, mark.userId, mark.seq));
        }
        continue;
      }
      if (!isMember(inbound.roomId, inbound.senderId)) {
        metrics.rejected.inc({ code: 'NOT_A_MEMBER' });
        emit(delivery, errorToSender(inbound, 'NOT_A_MEMBER', `not a member of room ${inbound.roomId}`));
        continue;
      }
      const decision = decisions[sendIndex++];
      if (!decision) throw new Error('send decisions out of step with the batch');
      // the frame acks the send too (the sender's gateway is bound to the room)
      emit(delivery, roomMessage(topology, decision.message, inbound));
      if (decision.kind === 'new') stored++;
      else duplicates++;
      // A redelivered duplicate may be ours from before a crash that came before its event went out.
      if (decision.kind === 'new' || delivery.fields.redelivered) {
        emit(delivery, messageStored(topology, decision.message, rooms.get(inbound.roomId)?.postId ?? null));
      }
    }
    const publishing = performance.now();
    await this.deps.publisher.publishAll(publications);
    metrics.batchStep.observe({ step: 'publish' }, (performance.now() - publishing) / 1000);
    metrics.messagesStored.inc(stored);
    metrics.duplicates.inc(duplicates);
  }

  /**
   * Raises the read markers of `read` requests, clamped to the room's last seq so a marker never
   * claims unsent messages. Several marks of one user in one room within a batch become one update
   * to their highest (concurrent `$max` updates could not tell which of them moved the marker).
   * Returns, per request, the mark to announce (the request carrying a moved maximum) or undefined.
   */
  private async raiseReads(reads: readonly InboundRead[]): Promise<Array<ReadMark | undefined>> {
    const marks: ReadMark[] = reads.map((r) => ({
      roomId: r.roomId,
      userId: r.userId,
      seq: Math.min(r.seq, this.sequencer.lastSeq(r.roomId) ?? 0),
    }));
    const highest = new Map<string, { mark: ReadMark; index: number }>();
    marks.forEach((mark, index) => {
      const key = JSON.stringify([mark.roomId, mark.userId]);
      const best = highest.get(key);
      if (!best || mark.seq > best.mark.seq) highest.set(key, { mark, index });
    });
    const chosen = [...highest.values()];
    const moved = await this.deps.reads.raise(chosen.map((c) => c.mark));
    const announce = new Array<ReadMark | undefined>(marks.length).fill(undefined);
    chosen.forEach((c, i) => {
      if (moved[i]) announce[c.index] = c.mark;
    });
    return announce;
  }
}
