/**
 * The router's store operations against the real MongoDB-wire server: the ordered insert that keeps a
 * room's seqs in arrival order after a conflict, and raising many rooms' `lastSeq` and many users'
 * read markers at once from several batches (one multi-statement update per batch deadlocked
 * FerretDB's connection pool: it holds a connection per matched statement until the command ends).
 */
import { createLogger } from '@coffeechat/service-kit';
import { mongoUrlFor, uniqueNamespace } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDb, type RouterDb } from '../src/mongo/database.js';
import { MongoMessageRepository } from '../src/mongo/message-repository.js';
import { MongoReadRepository } from '../src/mongo/read-repository.js';

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

  it('a resend (same sender and clientMsgId) is refused as a conflict too', async () => {
    expect(await repo.insert([message('r2', 1, 'x')])).toEqual({ stored: 1 });
    expect(await repo.insert([message('r2', 2, 'x')])).toEqual({ stored: 0 });
  });

  // Partitions run their batches concurrently, each on rooms of its own: four batches of 60 rooms.
  it('raises the lastSeq of 60 rooms in each of four concurrent batches', async () => {
    const batches = [3, 9, 7, 8].map((seq, b) => ({
      seq,
      roomIds: Array.from({ length: 60 }, (_, i) => `l${b}r${i}`),
    }));
    const roomIds = batches.flatMap((b) => b.roomIds);
    await store.rooms.insertMany(
      roomIds.map((_id) => ({ _id, postId: null, title: null, memberIds: [], lastSeq: 5, createdAt: new Date() })),
    );
    await Promise.all(batches.map((b) => repo.raiseLastSeqs(new Map(b.roomIds.map((roomId) => [roomId, b.seq])))));
    const recorded = await repo.recordedLastSeqs(roomIds);
    // $max: raised where higher, never lowered
    expect(batches.map((b) => new Set(b.roomIds.map((r) => recorded.get(r))))).toEqual(
      [5, 9, 7, 8].map((seq) => new Set([seq])),
    );
  }, 60_000);

  it('upserts the read markers of 60 users in each of four concurrent batches', async () => {
    const reads = new MongoReadRepository(store);
    const batches = [4, 12, 6, 10].map((seq, b) =>
      Array.from({ length: 60 }, (_, i) => ({ roomId: `m${b}`, userId: `u${i}`, seq })),
    );
    await Promise.all(batches.map((marks) => reads.raiseQuietly(marks)));
    const seqs = await Promise.all(batches.flat().map((m) => reads.get(m.roomId, m.userId)));
    expect(seqs).toEqual(batches.flat().map((m) => m.seq));
  }, 60_000);
});
