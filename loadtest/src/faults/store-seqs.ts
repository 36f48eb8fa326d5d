/**
 * The store's side of "seqs have no gaps" (SPEC §4): after a run, every room's stored seqs are 1…n. A
 * hole loses nothing a member sees (the gateways and the SDK go on over a seq the store does not have)
 * but breaks the promise, so each run reads its own `messages` and counts what is missing.
 */
import { MongoClient } from 'mongodb';

export interface SeqHoles {
  roomId: string;
  /** the missing seqs below the room's highest, as ranges (`15-17`) */
  missing: string[];
  count: number;
}

/** Every room of the database at `mongoUrl` whose stored seqs skip some below its highest. */
export async function readSeqHoles(mongoUrl: string): Promise<SeqHoles[]> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 10_000, socketTimeoutMS: 60_000 });
  try {
    const docs = await client
      .db()
      .collection<{ roomId: string; seq: number }>('messages')
      .find({}, { projection: { _id: 0, roomId: 1, seq: 1 } })
      .toArray();
    return seqHoles(docs);
  } finally {
    await client.close();
  }
}

export function seqHoles(messages: readonly { roomId: string; seq: number }[]): SeqHoles[] {
  const byRoom = new Map<string, Set<number>>();
  for (const { roomId, seq } of messages) {
    const seqs = byRoom.get(roomId) ?? new Set<number>();
    seqs.add(seq);
    byRoom.set(roomId, seqs);
  }
  const holes: SeqHoles[] = [];
  for (const [roomId, seqs] of byRoom) {
    const missing: string[] = [];
    let count = 0;
    let from: number | undefined;
    const top = [...seqs].reduce((a, b) => Math.max(a, b), 0);
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
