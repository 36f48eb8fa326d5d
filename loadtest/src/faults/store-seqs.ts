/**
 * What the run's store holds, checked after the drain against two promises: every room's seqs are
 * 1…n (SPEC §4), and each sender's messages of a room were stored in the order they were sent (the
 * generator numbers a room's messages `m<k>` as it sends them). A hole loses nothing a member sees (the
 * gateways and the SDK go on over a seq the store does not have), and a sender's messages stored out of
 * order reach every member in the same wrong order, so neither shows in the wire counts.
 */
import { MongoClient } from 'mongodb';

interface StoredMessage {
  roomId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
}

export interface SeqHoles {
  roomId: string;
  /** the missing seqs below the room's highest, as ranges (`15-17`) */
  missing: string[];
  count: number;
}

export interface StoreCheck {
  holes: SeqHoles[];
  /** consecutive messages of one sender in a room (by seq) whose `m<k>` went down: sent the other way round */
  senderInversions: number;
}

export async function checkStore(mongoUrl: string): Promise<StoreCheck> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 10_000, socketTimeoutMS: 60_000 });
  try {
    const messages = await client
      .db()
      .collection<StoredMessage>('messages')
      .find({}, { projection: { _id: 0, roomId: 1, seq: 1, senderId: 1, clientMsgId: 1 } })
      .toArray();
    return { holes: seqHoles(messages), senderInversions: senderInversions(messages) };
  } finally {
    await client.close();
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k) ?? [];
    group.push(item);
    groups.set(k, group);
  }
  return groups;
}

export function seqHoles(messages: readonly Pick<StoredMessage, 'roomId' | 'seq'>[]): SeqHoles[] {
  const holes: SeqHoles[] = [];
  for (const [roomId, stored] of groupBy(messages, (m) => m.roomId)) {
    const seqs = new Set(stored.map((m) => m.seq));
    const top = stored.reduce((a, m) => Math.max(a, m.seq), 0);
    const missing: string[] = [];
    let count = 0;
    let from: number | undefined;
    for (let seq = 1; seq <= top; seq++) {
      if (!seqs.has(seq)) {
        from ??= seq;
        continue;
      }
      if (from === undefined) continue;
      missing.push(from === seq - 1 ? `${from}` : `${from}-${seq - 1}`);
      count += seq - from;
      from = undefined;
    }
    if (count > 0) holes.push({ roomId, missing, count });
  }
  return holes;
}

/** Messages whose clientMsgId is not the generator's `m<k>` (the join probe's, a test's) are left out. */
export function senderInversions(messages: readonly StoredMessage[]): number {
  const numbered = messages.filter((m) => /^m\d+$/.test(m.clientMsgId));
  let inversions = 0;
  for (const sent of groupBy(numbered, (m) => JSON.stringify([m.roomId, m.senderId])).values()) {
    const ks = sent.sort((a, b) => a.seq - b.seq).map((m) => Number(m.clientMsgId.slice(1)));
    for (let i = 1; i < ks.length; i++) if ((ks[i] as number) < (ks[i - 1] as number)) inversions++;
  }
  return inversions;
}
