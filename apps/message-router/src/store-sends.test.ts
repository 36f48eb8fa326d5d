import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../test/memory-store.js';
import { type SendRequest, Sequencer } from './sequencer.js';
import { FencingError, type StoreRequest, storeSends } from './store-sends.js';

const req = (roomId: string, clientMsgId: string, senderId = 'u1'): SendRequest => ({
  roomId,
  senderId,
  clientMsgId,
  body: clientMsgId,
});
const redelivered = (roomId: string, clientMsgId: string): StoreRequest => ({
  ...req(roomId, clientMsgId),
  redelivered: true,
});
const options = () => ({ now: () => 1000, insertedByUs: new Set<string>() });
/** A rival owner (fencing) stores `seq` of the room just before our next insert. */
const rivalWritesFirst = (store: MemoryStore, roomId: string, seq: number) => {
  store.beforeInsert = () => {
    store.beforeInsert = undefined;
    store.put({ roomId, seq, senderId: 'u2', clientMsgId: 'rival', body: '', ts: 0 });
  };
};

describe('storeSends', () => {
  it('stores a batch with contiguous seqs per room in one insert, reading each new room once', async () => {
    const store = new MemoryStore();
    const seq = new Sequencer();
    const out = await storeSends(store, seq, [req('a', '1'), req('b', '1'), req('a', '2')], options());
    expect(out.map((d) => [d.kind, d.message.roomId, d.message.seq])).toEqual([
      ['new', 'a', 1],
      ['new', 'b', 1],
      ['new', 'a', 2],
    ]);
    expect(store.inserts).toBe(1);
    expect(store.lastSeqReads).toBe(1);
    await storeSends(store, seq, [req('a', '3')], options());
    expect(store.seqs('a')).toEqual([1, 2, 3]);
  });

  it('a redelivered send is found stored: same seq, nothing new written', async () => {
    const store = new MemoryStore();
    const first = await storeSends(store, new Sequencer(), [req('a', '1'), req('a', '2')], options());
    expect(store.lookups).toBe(0); // first deliveries are not looked up
    // a new owner (fresh sequencer) gets the same deliveries again after a crash before the ack
    const again = await storeSends(
      store,
      new Sequencer(),
      [redelivered('a', '1'), redelivered('a', '2'), req('a', '3')],
      options(),
    );
    expect(again.map((d) => [d.kind, d.message.seq])).toEqual([
      ['duplicate', 1],
      ['duplicate', 2],
      ['new', 3],
    ]);
    expect(again[0]?.message).toEqual(first[0]?.message);
    expect(store.lookups).toBe(2);
    expect(store.inserts).toBe(2);
    expect(store.seqs('a')).toEqual([1, 2, 3]);
  });

  it("a client's resend (a first delivery) is found through the conflict its insert raises, without a gap", async () => {
    const store = new MemoryStore();
    const seq = new Sequencer();
    await storeSends(store, seq, [req('a', '1'), req('a', '2')], options());
    // the ack of 2 was lost; the client sends 2 again between two new messages
    const out = await storeSends(store, seq, [req('a', '3'), req('a', '2'), req('a', '4')], options());
    expect(out.map((d) => [d.kind, d.message.clientMsgId, d.message.seq])).toEqual([
      ['new', '3', 3],
      ['duplicate', '2', 2],
      ['new', '4', 4],
    ]);
    expect(store.seqs('a')).toEqual([1, 2, 3, 4]);
    // after the conflict only what was not inserted yet (2 and 4) was looked up, not 3
    expect(store.lookups).toBe(2);
  });

  it('fencing after fail-over: a rival owner took the seqs we planned; we reload and continue after them', async () => {
    const store = new MemoryStore();
    const stale = new Sequencer();
    await storeSends(store, stale, [req('a', '1')], options()); // we believe lastSeq 1
    // the partition failed over and back: another owner stored 2 and 3 meanwhile
    store.put({ roomId: 'a', seq: 2, senderId: 'u2', clientMsgId: 'r2', body: '', ts: 0 });
    store.put({ roomId: 'a', seq: 3, senderId: 'u2', clientMsgId: 'r3', body: '', ts: 0 });
    let conflicts = 0;
    const out = await storeSends(store, stale, [req('a', '2'), req('a', '3')], {
      ...options(),
      onConflict: () => conflicts++,
    });
    expect(conflicts).toBe(1);
    expect(out.map((d) => [d.kind, d.message.seq])).toEqual([
      ['new', 4],
      ['new', 5],
    ]);
    expect(store.seqs('a')).toEqual([1, 2, 3, 4, 5]);
  });

  // The rival writes one seq just before our insert of 1, 2; the insert stops there, so y never keeps a
  // seq below x's.
  it.each([
    ['a conflict on the first message stores none of the batch, which is renumbered in order', 1, { x: 2, y: 3 }],
    ['a partial insert: what got in counts as ours (new), the rest follows it in order', 2, { x: 1, y: 3 }],
  ])('fencing, %s', async (_, rivalSeq, want) => {
    const store = new MemoryStore();
    const seq = new Sequencer();
    seq.load('a', 0);
    rivalWritesFirst(store, 'a', rivalSeq);
    const out = await storeSends(store, seq, [req('a', 'x'), req('a', 'y')], options());
    expect(out.map((d) => [d.kind, d.message.clientMsgId, d.message.seq])).toEqual([
      ['new', 'x', want.x],
      ['new', 'y', want.y],
    ]);
    expect(store.seqs('a')).toEqual([1, 2, 3]);
  });

  it('remembers the part of a batch that got in before a conflict: no conflict for it next time', async () => {
    const store = new MemoryStore();
    const seq = new Sequencer();
    seq.load('a', 0);
    seq.load('b', 0);
    rivalWritesFirst(store, 'b', 1);
    let conflicts = 0;
    const onConflict = () => conflicts++;
    await storeSends(store, seq, [req('a', 'x'), req('b', 'y')], { ...options(), onConflict });
    const next = await storeSends(store, seq, [req('a', 'z')], { ...options(), onConflict });
    expect(next[0]?.message.seq).toBe(2);
    expect(conflicts).toBe(1);
    expect(store.seqs('b')).toEqual([1, 2]);
  });

  it('a new owner continues after the highest stored seq of each room', async () => {
    const store = new MemoryStore();
    store.put({ roomId: 'a', seq: 1, senderId: 'u1', clientMsgId: 'old', body: '', ts: 0 });
    store.put({ roomId: 'a', seq: 2, senderId: 'u1', clientMsgId: 'old2', body: '', ts: 0 });
    const seq = new Sequencer();
    const out = await storeSends(store, seq, [req('a', 'n')], options());
    expect(out[0]?.message.seq).toBe(3);
    await storeSends(store, seq, [req('a', 'm')], options());
    expect(store.lastSeqReads).toBe(1); // known from then on
  });

  it('keeps inserts of an earlier attempt as new across a retry of the whole batch', async () => {
    const store = new MemoryStore();
    const insertedByUs = new Set<string>();
    await storeSends(store, new Sequencer(), [req('a', '1')], { now: () => 1, insertedByUs });
    // e.g. the publish failed afterwards and the batch runs again with the same set
    const again = await storeSends(store, new Sequencer(), [req('a', '1'), req('a', '1')], {
      now: () => 1,
      insertedByUs,
    });
    expect(again.map((d) => d.kind)).toEqual(['new', 'duplicate']);
  });

  it('gives up with a FencingError when conflicts persist', async () => {
    const store = new MemoryStore();
    let n = 0;
    store.beforeInsert = () => {
      n++;
      store.put({ roomId: 'a', seq: n, senderId: 'rival', clientMsgId: `r${n}`, body: '', ts: 0 });
    };
    await expect(
      storeSends(store, new Sequencer(), [req('a', 'x')], { ...options(), maxAttempts: 3 }),
    ).rejects.toBeInstanceOf(FencingError);
    expect(store.inserts).toBe(3);
  });

  it('does nothing for an empty batch', async () => {
    const store = new MemoryStore();
    expect(await storeSends(store, new Sequencer(), [], options())).toEqual([]);
    expect(store.inserts).toBe(0);
  });
});
