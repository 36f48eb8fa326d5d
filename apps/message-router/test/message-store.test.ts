/**
 * The router's store operations against the real MongoDB-wire server: the ordered insert that keeps a
 * room's seqs in arrival order after a conflict, rooms' last seqs and senders' own positions derived
 * from the messages, a resume's last seq and replay from one read, and raising many users' read markers at once from several batches (one
 * multi-statement update per batch deadlocked FerretDB's connection pool: it holds a connection per
 * matched statement until the command ends).
 */
import { createLogger } from '@coffeechat/service-kit';
import { mongoUrlFor, uniqueNamespace } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDb, type RouterDb } from '../src/mongo/database.js';
import { MongoMessageRepository } from '../src/mongo/message-repository.js';
import { MongoReadRepository } from '../src/mongo/read-repository.js';
import { Sequencer } from '../src/sequencer.js';
import { storeSends } from '../src/store-sends.js';

let store: RouterDb;
let repo: MongoMessageRepository;

beforeAll(async () => {
  store = await connectDb(mongoUrlFor(uniqueNamespace('store')), createLogger('message-router-test', 'warn'));
  repo = new MongoMessageRepository(store);
}, 60_000);

afterAll(async () => {
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
});

const message = (roomId: string, seq: number, clientMsgId: string) => ({
  roomId,
  seq,
  senderId: 'u1',
  clientMsgId,
  body: clientMsgId,
  ts: 1,
});

describe('message store', () => {
  it('an insert stops at the first taken seq: what came before is stored, nothing after it', async () => {
    await repo.insert([message('r1', 2, 'rival')]);
    const result = await repo.insert([message('r1', 1, 'a'), message('r1', 2, 'b'), message('r1', 3, 'c')]);
    expect(result).toEqual({ stored: 1 });
    const page = await repo.page('r1', { afterSeq: 0, limit: 10 });
    expect(page.messages.map((m) => [m.seq, m.clientMsgId])).toEqual([
      [1, 'a'],
      [2, 'rival'],
    ]);
  });

  // FerretDB v1 inserts 100 documents at a time and, after a duplicate key, went on with the next hundred.
  it('an insert of 250 stops at its first taken seq too: nothing after it is stored', async () => {
    await repo.insert([message('big', 30, 'rival')]);
    const result = await repo.insert(Array.from({ length: 250 }, (_, i) => message('big', i + 1, `b${i + 1}`)));
    expect(result).toEqual({ stored: 29 });
    expect(await repo.lastSeqs(['big'])).toEqual(new Map([['big', 30]]));
  });

  // D10: the resend is planned a seq, refused by its key, and the batch planned again after what got in.
  it("a client's resend inside a batch of 150 sends leaves the room's seqs without a hole", async () => {
    await repo.insert([message('gapless', 1, 'resent')]);
    const send = (clientMsgId: string) => ({ roomId: 'gapless', senderId: 'u1', clientMsgId, body: clientMsgId });
    const fresh = Array.from({ length: 149 }, (_, i) => send(`g${i + 1}`));
    const requests = [...fresh.slice(0, 20), send('resent'), ...fresh.slice(20)];
    const decisions = await storeSends(repo, new Sequencer(), requests, { now: () => 2, insertedByUs: new Set() });
    expect(decisions[20]).toEqual({ kind: 'duplicate', message: expect.objectContaining({ seq: 1 }) });
    const page = await repo.page('gapless', { afterSeq: 0, limit: 200 });
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    // the sends keep their order in the room
    expect(page.messages.slice(1).map((m) => m.clientMsgId)).toEqual(fresh.map((r) => r.clientMsgId));
  });

  it('a resend (same sender and clientMsgId) is refused as a conflict too', async () => {
    expect(await repo.insert([message('r2', 1, 'x')])).toEqual({ stored: 1 });
    expect(await repo.insert([message('r2', 2, 'x')])).toEqual({ stored: 0 });
  });

  it("derives each room's last seq and each sender's newest seq from the messages", async () => {
    await repo.insert([
      message('d1', 1, 'a'),
      { ...message('d1', 2, 'b'), senderId: 'u2' },
      message('d1', 3, 'c'),
      { ...message('d1', 4, 'd'), senderId: 'u2' },
      message('d2', 1, 'e'),
    ]);
    expect(await repo.lastSeqs(['d1', 'd2', 'empty'])).toEqual(
      new Map([
        ['d1', 4],
        ['d2', 1],
        ['empty', 0],
      ]),
    );
    expect(await repo.lastSentSeqs('u1', ['d1', 'd2', 'empty'])).toEqual(
      new Map([
        ['d1', 3],
        ['d2', 1],
        ['empty', 0],
      ]),
    );
  });

  it('resumes from a stored seq in one read: the last seq, the newest messages after it, truncation', async () => {
    await repo.insert(Array.from({ length: 6 }, (_, i) => message('res', i + 1, `m${i + 1}`)));
    expect(await repo.resume('res', 2, 10)).toEqual({
      lastSeq: 6,
      messages: [3, 4, 5, 6].map((seq) => expect.objectContaining({ seq, clientMsgId: `m${seq}` })),
      truncated: false,
    });
    expect(await repo.resume('res', 6, 10)).toEqual({ lastSeq: 6, messages: [], truncated: false });
    const cut = await repo.resume('res', 1, 3);
    expect(cut).toMatchObject({ lastSeq: 6, truncated: true });
    expect(cut?.messages.map((m) => m.seq)).toEqual([4, 5, 6]);
    expect(await repo.resume('res', 2, 4)).toMatchObject({ lastSeq: 6, truncated: false });
    // a seq that is not stored (ahead of the room): nothing to resume from
    expect(await repo.resume('res', 7, 10)).toBeUndefined();
    expect(await repo.resume('no-such-room', 3, 10)).toBeUndefined();
  });

  // Partitions run their batches concurrently, each on rooms of its own: four batches of 60 markers.
  it('raises the read markers of 60 users in each of four concurrent batches, telling which moved', async () => {
    const reads = new MongoReadRepository(store);
    const batches = [4, 12, 6, 10].map((seq, b) =>
      Array.from({ length: 60 }, (_, i) => ({ roomId: `m${b}`, userId: `u${i}`, seq })),
    );
    const moved = await Promise.all(batches.map((marks) => reads.raise(marks)));
    expect(moved.flat().every(Boolean)).toBe(true);
    const stored = await Promise.all(
      batches.map((marks, b) => reads.markers(`u${b}`, [...new Set(marks.map((m) => m.roomId))])),
    );
    expect(stored.map((m) => [...m.values()])).toEqual([[4], [12], [6], [10]]);
    // $max: a lower or equal mark does not move the marker, and says so
    expect(
      await reads.raise([
        { roomId: 'm1', userId: 'u0', seq: 3 },
        { roomId: 'm2', userId: 'u0', seq: 7 },
      ]),
    ).toEqual([false, true]);
    expect(await reads.markers('u0', ['m1', 'm2'])).toEqual(
      new Map([
        ['m1', 12],
        ['m2', 7],
      ]),
    );
  }, 60_000);
});
