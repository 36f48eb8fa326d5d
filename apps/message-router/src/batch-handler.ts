/**
 * What one partition batch does, once: parse each delivery, check membership, store the sends with
 * their seqs (the batch's one store write; explicit read markers are raised alongside), then publish
 * what answers each delivery (the message frame, which acks the send, the events, errors, dead letters)
 * and wait for the broker's confirms. It throws when any of that fails; the partition worker decides
 * whether to retry and settles the deliveries. A fresh handler (and sequencer) serves each ownership
 * period of a partition, so nothing a previous owner knew is trusted.
 */
import type { Inbound, InboundRead, InboundSend, MessageStoredEvent, Topology } from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import type { TraceContext } from '@coffeechat/telemetry';
import { type InboundDelivery, parseInbound } from './inbound.js';
import type { MembershipCache, RoomInfo } from './membership-cache.js';
import type { RouterMetrics } from './metrics.js';
import {
  ackToSender,
  deadLetter,
  errorToSender,
  messagesStored,
  type Publication,
  type Publisher,
  roomMessage,
  roomRead,
  storedActivity,
} from './publications.js';
import { type ReadMark, type ReadMarkers, raiseReadMarks } from './read-marks.js';
import { type SendDecision, Sequencer } from './sequencer.js';
import { loadLastSeqs, type MessageRepository, type StoreRequest, storeSends } from './store-sends.js';

export interface BatchHandlerDeps {
  partition: number;
  topology: Topology;
  membership: Pick<MembershipCache, 'rooms'>;
  messages: MessageRepository;
  reads: ReadMarkers;
  publisher: Publisher;
  metrics: RouterMetrics;
  logger: Logger;
  now: () => number;
}

/** What one attempt at a batch carries over from the attempts before it. */
export interface BatchAttempt {
  /** keys this batch inserted, kept across attempts so they still count as new (events) */
  insertedByUs: Set<string>;
  /** false once the deliveries' channel closed: a new owner has them */
  owned(): boolean;
}

/** The deliveries' channel closed mid-batch; they are redelivered elsewhere, so the batch stops. */
export class OwnershipLost extends Error {
  constructor() {
    super('the partition changed owner during the batch');
    this.name = 'OwnershipLost';
  }
}

type Item =
  | { delivery: InboundDelivery; invalid: string }
  | { delivery: InboundDelivery; inbound: Inbound; member: boolean };

export class BatchHandler {
  private readonly sequencer = new Sequencer();

  constructor(private readonly deps: BatchHandlerDeps) {}

  /** `trace`: the batch's trace (its span), which the store write continues */
  async handle(deliveries: readonly InboundDelivery[], attempt: BatchAttempt, trace?: TraceContext): Promise<void> {
    const { membership, metrics } = this.deps;
    const parsed = deliveries.map((delivery) => ({ delivery, parsed: parseInbound(delivery.content) }));
    const roomIds = parsed.flatMap(({ parsed: p }) => (p.ok ? [p.value.roomId] : []));
    const rooms = roomIds.length > 0 ? await membership.rooms(roomIds) : new Map<string, RoomInfo | null>();
    const items = parsed.map(({ delivery, parsed: p }): Item => {
      if (!p.ok) return { delivery, invalid: p.reason };
      // errors go to `replyTo` through the default exchange: only ever into a gateway's queue
      if (p.value.kind === 'send' && !this.deps.topology.isGatewayQueue(p.value.replyTo))
        return { delivery, invalid: 'replyTo: not a gateway queue of this namespace' };
      const userId = p.value.kind === 'send' ? p.value.senderId : p.value.userId;
      return { delivery, inbound: p.value, member: rooms.get(p.value.roomId)?.memberIds.includes(userId) === true };
    });
    const sends = new Map<Item, StoreRequest>();
    const reads = new Map<Item, InboundRead>();
    for (const item of items) {
      if ('invalid' in item || !item.member) continue;
      if (item.inbound.kind === 'send') sends.set(item, { ...item.inbound, redelivered: item.delivery.redelivered });
      else reads.set(item, item.inbound);
    }

    // The channel may have closed while membership was read: a new owner has these deliveries now.
    if (!attempt.owned()) throw new OwnershipLost();
    const storing = performance.now();
    const { decisions, marks } = await this.store(sends, reads, attempt.insertedByUs, trace);
    metrics.batchStep.observe({ step: 'store' }, (performance.now() - storing) / 1000);

    const answers = this.answers(items, decisions, marks, rooms);
    const publishing = performance.now();
    await this.deps.publisher.publishAll(answers.publications);
    metrics.batchStep.observe({ step: 'publish' }, (performance.now() - publishing) / 1000);
    metrics.messagesStored.inc(answers.stored);
    metrics.duplicates.inc(answers.duplicates);
  }

  /** The batch's writes: the sends (one insert) and, beside them, the read markers. */
  private async store(
    sends: Map<Item, StoreRequest>,
    reads: Map<Item, InboundRead>,
    insertedByUs: Set<string>,
    trace: TraceContext | undefined,
  ) {
    const { messages, reads: markers, metrics } = this.deps;
    const sent = [...sends];
    const requests = sent.map(([, request]) => request);
    // Rooms met for the first time in this ownership: their last seq, read once for sends and reads.
    const roomIds = new Set([...requests, ...reads.values()].map((r) => r.roomId));
    await loadLastSeqs(messages, this.sequencer, [...roomIds]);
    // Independent writes: a read marker only ever names a message stored by an earlier batch.
    const [decided, moved] = await Promise.all([
      storeSends(messages, this.sequencer, requests, {
        now: this.deps.now,
        insertedByUs,
        trace,
        onConflict: () => metrics.seqConflicts.inc(),
      }),
      raiseReadMarks(markers, [...reads.values()], (roomId) => this.sequencer.lastSeq(roomId) ?? 0),
    ]);
    // `storeSends` answers each request, in order.
    const decisions = new Map<Item, SendDecision>();
    sent.forEach(([item], i) => {
      const decision = decided[i];
      if (!decision) throw new Error('send decisions out of step with the batch');
      decisions.set(item, decision);
    });
    const marks = new Map<Item, ReadMark>();
    for (const [item, read] of reads) {
      const mark = moved.get(read);
      if (mark) marks.set(item, mark);
    }
    return { decisions, marks };
  }

  /** What answers each delivery, in delivery order, each in the trace of the delivery it answers. */
  private answers(
    items: readonly Item[],
    decisions: ReadonlyMap<Item, SendDecision>,
    marks: ReadonlyMap<Item, ReadMark>,
    rooms: ReadonlyMap<string, RoomInfo | null>,
  ): { publications: Publication[]; stored: number; duplicates: number } {
    const { topology, metrics, logger, partition } = this.deps;
    const publications: Publication[] = [];
    const emit = (delivery: InboundDelivery, ...answers: Publication[]) => {
      const trace = delivery.span?.context;
      for (const p of answers) publications.push(trace ? { ...p, trace } : p);
    };
    let stored = 0;
    let duplicates = 0;
    // the batch's new messages, for one event; it continues the trace of the first of them
    const activity: MessageStoredEvent[] = [];
    let activityTrace: InboundDelivery | undefined;
    for (const item of items) {
      const { delivery } = item;
      if ('invalid' in item) {
        logger.warn({ partition, reason: item.invalid }, 'invalid inbound payload; dead-lettered');
        metrics.deadLetters.inc({ reason: 'invalid' });
        emit(delivery, deadLetter(topology, delivery.content, delivery, item.invalid));
        continue;
      }
      if (item.inbound.kind === 'read') {
        // a non-member's read gets no answer: reads carry no reply address
        const mark = marks.get(item);
        if (mark) {
          metrics.readsMoved.inc();
          emit(delivery, roomRead(topology, mark.roomId, mark.userId, mark.seq));
        }
        continue;
      }
      const send: InboundSend = item.inbound;
      if (!item.member) {
        metrics.rejected.inc({ code: 'NOT_A_MEMBER' });
        emit(delivery, errorToSender(send, 'NOT_A_MEMBER', `not a member of room ${send.roomId}`));
        continue;
      }
      const decision = decisions.get(item);
      if (!decision) throw new Error('a send of the batch has no decision');
      if (decision.kind === 'duplicate' && !delivery.redelivered) {
        // A client's resend of a stored message: the room had its frame when it was stored (gateways that
        // lost it meanwhile catch up by seq), so only the sender is answered.
        emit(delivery, ackToSender(send, decision.message));
        duplicates++;
        continue;
      }
      // The frame acks the send too (the sender's gateway is bound to the room). A redelivered send was
      // stored by an owner that may have crashed before publishing: members may lack the frame, and
      // gateways drop the seqs they already forwarded.
      emit(delivery, roomMessage(topology, decision.message, send));
      if (decision.kind === 'new') stored++;
      else duplicates++;
      // A redelivered duplicate may be ours from before a crash that came before its event went out.
      if (decision.kind === 'new' || delivery.redelivered) {
        activity.push(storedActivity(decision.message, rooms.get(send.roomId)?.postId ?? null));
        activityTrace ??= delivery;
      }
    }
    if (activityTrace) emit(activityTrace, messagesStored(topology, activity));
    return { publications, stored, duplicates };
  }
}
