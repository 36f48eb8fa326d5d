/**
 * The partition worker with its ports replaced by fakes: an in-memory store, a recording publisher and
 * settler. What it must do in which order: store, then publish (confirmed), then ack; wait out outages;
 * isolate a message that fails on its own; stop at once when the partition changes owner.
 */
import { type InboundRead, topology } from '@coffeechat/contracts';
import { createLogger } from '@coffeechat/service-kit';
import { type ConsumeSpan, startConsumeSpan } from '@coffeechat/telemetry';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../test/memory-store.js';
import { inboundSend } from '../test/payloads.js';
import { PublishError, StoreUnavailable } from './failures.js';
import type { InboundDelivery } from './inbound.js';
import { MembershipCache, type RoomInfo } from './membership-cache.js';
import { createRouterMetrics } from './metrics.js';
import { PartitionWorker, type Settler } from './partition-worker.js';
import type { Publication, Publisher } from './publications.js';
import type { ReadMark, ReadMarkers } from './read-marks.js';

const t = topology('t');
const rooms: Record<string, RoomInfo> = { r1: { roomId: 'r1', postId: 'p1', memberIds: ['ann', 'bob'] } };

/** What happened, in order, across the fakes. */
type Step = string;

class Store extends MemoryStore {
  /** errors the next inserts throw, in order */
  readonly failures: Error[] = [];
  /** a body whose presence in an insert fails it (a message that fails on its own) */
  poison?: string;
  constructor(private readonly log: Step[]) {
    super();
  }
  override async insert(messages: Parameters<MemoryStore['insert']>[0]) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (messages.some((m) => m.body === this.poison)) throw new Error('document failed validation');
    this.log.push(`insert ${messages.map((m) => m.seq).join(',')}`);
    return super.insert(messages);
  }
}

class Reads implements ReadMarkers {
  readonly stored = new Map<string, number>();
  async raise(marks: readonly ReadMark[]) {
    return marks.map((m) => {
      const key = `${m.roomId}/${m.userId}`;
      const moved = m.seq > (this.stored.get(key) ?? 0);
      if (moved) this.stored.set(key, m.seq);
      return moved;
    });
  }
}

class Broker implements Publisher {
  readonly confirmed: Publication[][] = [];
  readonly failures: Error[] = [];
  constructor(private readonly log: Step[]) {}
  async publishAll(publications: readonly Publication[]) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.confirmed.push([...publications]);
    this.log.push(`publish ${publications.length}`);
  }
  /** each confirmed publication as `<AMQP type or exchange> <frame type or key> <seq>` */
  summary(): string[] {
    return this.confirmed.flat().map((p) => {
      let body: { type?: string; seq?: number; messages?: { seq: number }[] } = {};
      try {
        body = JSON.parse(p.content.toString()) as typeof body;
      } catch {
        // a dead letter keeps the bytes it came with
      }
      const seqs = body.messages ? body.messages.map((m) => m.seq).join(',') : body.seq;
      return [p.options.type ?? 'dead', body.type, seqs].filter((part) => part !== undefined).join(' ');
    });
  }
}

class Channel implements Settler {
  open = true;
  readonly acks: Array<{ clientMsgId: unknown; upTo: boolean }> = [];
  readonly nacks: unknown[] = [];
  constructor(private readonly log: Step[]) {}
  isOpen() {
    return this.open;
  }
  ack(d: InboundDelivery, upTo: boolean) {
    this.acks.push({ clientMsgId: idOf(d), upTo });
    this.log.push(`ack ${idOf(d)}${upTo ? ' and before' : ''}`);
  }
  nack(d: InboundDelivery) {
    this.nacks.push(idOf(d));
  }
}

const idOf = (d: InboundDelivery) => {
  try {
    const v = JSON.parse(d.content.toString()) as { clientMsgId?: string; kind?: string; seq?: number };
    return v.clientMsgId ?? `${v.kind}:${v.seq}`;
  } catch {
    return 'junk';
  }
};

const send = (clientMsgId: string, senderId = 'ann', body = clientMsgId) =>
  inboundSend({ senderId, clientMsgId, body, replyTo: 't.gw.gw-1', connId: `conn-${senderId}` });
const read = (seq: number, userId = 'bob'): InboundRead => ({ kind: 'read', roomId: 'r1', userId, seq });
/** Deliveries whose span has not ended yet: the worker ends it when it settles or gives the delivery up. */
const unsettled = new Set<InboundDelivery>();

function delivery(payload: unknown, redelivered = false): InboundDelivery {
  const fields = { exchange: 't.inbound', routingKey: 'p0', deliveryTag: 1, redelivered };
  const span = startConsumeSpan({ content: Buffer.alloc(0), fields, properties: {} }, 't.inbound.p0');
  const d: InboundDelivery = {
    content: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    redelivered,
    routingKey: 'p0',
    properties: { contentType: 'application/json' },
  };
  const tracked: ConsumeSpan = {
    ...span,
    end: (error) => {
      span.end(error);
      unsettled.delete(d);
    },
  };
  d.span = tracked;
  unsettled.add(d);
  return d;
}

function setup(options: { onRoomsRead?: () => void } = {}) {
  const log: Step[] = [];
  const store = new Store(log);
  const broker = new Broker(log);
  const channel = new Channel(log);
  const reads = new Reads();
  const membership = new MembershipCache(async (ids) => {
    options.onRoomsRead?.();
    return new Map(ids.flatMap((id) => (rooms[id] ? [[id, rooms[id]] as const] : [])));
  });
  const worker = new PartitionWorker({
    partition: 0,
    topology: t,
    batchMax: 100,
    membership,
    messages: store,
    reads,
    publisher: broker,
    settler: channel,
    metrics: createRouterMetrics(new Registry()),
    logger: createLogger('worker-test', 'silent'),
    now: () => 1000,
    retryDelayMs: () => 1,
  });
  /** pushes the deliveries together (one batch) and waits until each is settled or given up */
  const run = async (...deliveries: InboundDelivery[]) => {
    for (const d of deliveries) worker.push(d);
    while (deliveries.some((d) => unsettled.has(d))) await new Promise((r) => setTimeout(r, 1));
  };
  return { log, store, broker, channel, reads, run };
}

describe('PartitionWorker', () => {
  it('stores a batch in one insert, publishes each message frame (the ack) and one event for the batch, then acks it', async () => {
    const { log, store, broker, channel, run } = setup();
    await run(delivery(send('a1')), delivery(send('b1', 'bob')), delivery(send('a2')));
    expect(store.seqs('r1')).toEqual([1, 2, 3]);
    expect(log).toEqual(['insert 1,2,3', 'publish 4', 'ack a2 and before']);
    expect(broker.summary()).toEqual([
      'room-frame message 1',
      'room-frame message 2',
      'room-frame message 3',
      'messages.stored 1,2,3',
    ]);
    const frame = broker.confirmed[0]?.[0];
    expect(frame?.options.headers).toMatchObject({ 'x-conn-id': 'conn-ann', 'x-client-msg-id': 'a1', 'x-seq': 1 });
    expect(channel.nacks).toEqual([]);
  });

  it('answers what it cannot store: dead-letters a malformed payload, NOT_A_MEMBER to a stranger, nothing to a stranger’s read', async () => {
    const { store, broker, channel, run } = setup();
    await run(delivery('not json'), delivery(send('x1', 'eve')), delivery(read(1, 'eve')), delivery(send('a1')));
    expect(store.seqs('r1')).toEqual([1]);
    expect(broker.summary()).toEqual(['dead', 'conn-frame error', 'room-frame message 1', 'messages.stored 1']);
    const [dead, error] = broker.confirmed[0] ?? [];
    expect(dead).toMatchObject({ exchange: t.deadLetterExchange, routingKey: 'p0' });
    expect(dead?.options.headers?.['x-dead-reason']).toBe('payload is not valid JSON');
    expect(error).toMatchObject({ exchange: '', routingKey: 't.gw.gw-1' });
    expect(JSON.parse(error?.content.toString() ?? '')).toMatchObject({ code: 'NOT_A_MEMBER', clientMsgId: 'x1' });
    expect(channel.acks).toEqual([{ clientMsgId: 'a1', upTo: true }]);
  });

  it('answers a send only into a gateway queue of its namespace: another replyTo is dead-lettered, nothing stored', async () => {
    const { store, broker, run } = setup();
    const forged = ['t.rpc.router', 'other.gw.gw-1', 't.gw.', 'amq.rabbitmq.reply-to'];
    await run(...forged.map((replyTo, i) => delivery({ ...send(`f${i}`, 'eve'), replyTo })));
    expect(store.seqs('r1')).toEqual([]);
    expect(broker.summary()).toEqual(['dead', 'dead', 'dead', 'dead']);
    expect(broker.confirmed[0]?.[0]?.options.headers?.['x-dead-reason']).toBe(
      'replyTo: not a gateway queue of this namespace',
    );
  });

  it('waits out an outage of the store or the broker and retries the same batch, counting nothing against it', async () => {
    const { log, store, broker, channel, run } = setup();
    store.failures.push(new StoreUnavailable('down'), new StoreUnavailable('still down'));
    broker.failures.push(new PublishError('connection lost'));
    await run(delivery(send('a1')), delivery(send('a2')));
    expect(store.seqs('r1')).toEqual([1, 2]);
    // The publish failed after the insert: the retry's insert meets the stored keys (a conflict), finds
    // them, and announces them once, with their seqs.
    expect(log).toEqual(['insert 1,2', 'insert 3,4', 'publish 3', 'ack a2 and before']);
    expect(broker.summary()).toEqual(['room-frame message 1', 'room-frame message 2', 'messages.stored 1,2']);
    expect(channel.nacks).toEqual([]);
  });

  it('returns only the message at fault: a batch that keeps failing is handled one delivery at a time', async () => {
    const { store, channel, run } = setup();
    store.poison = 'boom';
    await run(delivery(send('a1')), delivery(send('a2', 'ann', 'boom')), delivery(send('a3')));
    expect(store.seqs('r1')).toEqual([1, 2]);
    expect(channel.acks).toEqual([
      { clientMsgId: 'a1', upTo: false },
      { clientMsgId: 'a3', upTo: false },
    ]);
    expect(channel.nacks).toEqual(['a2']);
  });

  it('stops when the partition changes owner mid-batch: nothing stored, published or acked', async () => {
    let channel: Channel | undefined;
    const fixture = setup({
      onRoomsRead: () => {
        if (channel) channel.open = false;
      },
    });
    channel = fixture.channel;
    await fixture.run(delivery(send('a1')));
    expect(fixture.log).toEqual([]);
  });

  it('publishes a redelivered send that was stored before with its stored seq, and its event again', async () => {
    const { store, broker, channel, run } = setup();
    store.put({ roomId: 'r1', seq: 1, senderId: 'ann', clientMsgId: 'a1', body: 'a1', ts: 5 });
    await run(delivery(send('a1'), true), delivery(send('a2')));
    expect(store.seqs('r1')).toEqual([1, 2]);
    expect(broker.summary()).toEqual(['room-frame message 1', 'room-frame message 2', 'messages.stored 1,2']);
    expect(channel.acks).toEqual([{ clientMsgId: 'a2', upTo: true }]);
  });

  it('answers a client’s resend of a stored message with an ack to the sender only, never the room again', async () => {
    const { store, broker, channel, run } = setup();
    store.put({ roomId: 'r1', seq: 1, senderId: 'ann', clientMsgId: 'a1', body: 'a1', ts: 5 });
    // the resend of a1 (a first delivery: the gateway published it again), and a2 resent in its own batch
    await run(delivery({ ...send('a1'), id: 'f7' }), delivery(send('a2')), delivery(send('a2')));
    expect(store.seqs('r1')).toEqual([1, 2]);
    expect(broker.summary()).toEqual([
      'conn-frame ack 1',
      'room-frame message 2',
      'conn-frame ack 2',
      'messages.stored 2',
    ]);
    const [ack] = broker.confirmed[0] ?? [];
    expect(ack).toMatchObject({
      exchange: '',
      routingKey: 't.gw.gw-1',
      options: { headers: { 'x-conn-id': 'conn-ann' } },
    });
    expect(JSON.parse(ack?.content.toString() ?? '')).toEqual({
      type: 'ack',
      id: 'f7',
      roomId: 'r1',
      clientMsgId: 'a1',
      seq: 1,
      ts: 5,
    });
    expect(channel.acks).toEqual([{ clientMsgId: 'a2', upTo: true }]);
  });

  it('raises read markers clamped to the last seq, and announces each user’s highest mark once when it moved', async () => {
    const { store, reads, broker, run } = setup();
    for (const seq of [1, 2])
      store.put({ roomId: 'r1', seq, senderId: 'ann', clientMsgId: `a${seq}`, body: 'x', ts: 5 });
    reads.stored.set('r1/ann', 1);
    await run(delivery(read(1)), delivery(read(9)), delivery(read(1, 'ann')));
    expect(reads.stored).toEqual(
      new Map([
        ['r1/ann', 1],
        ['r1/bob', 2],
      ]),
    );
    const announced = broker.confirmed.flat().map((p) => JSON.parse(p.content.toString()));
    expect(announced).toEqual([{ type: 'read', roomId: 'r1', userId: 'bob', seq: 2 }]);
  });
});
