/**
 * `messages`: what the partition workers store, what history and replays read, and what a room's
 * `lastSeq` and a sender's own read position are derived from (the newest message, by index).
 */
import type { HistoryResponse, StoredMessage } from '@coffeechat/contracts';
import { SpanKind, type TraceContext, withSharedSpan } from '@coffeechat/telemetry';
import { type Filter, MongoBulkWriteError } from 'mongodb';
import type { Resumed } from '../join.js';
import { type SendRequest, sendKey } from '../sequencer.js';
import type { MessageRepository } from '../store-sends.js';
import type { MessageDoc, RouterDb } from './database.js';
import { DUPLICATE_KEY, storeCall } from './store-errors.js';

export function toStored(doc: MessageDoc): StoredMessage {
  return {
    roomId: doc.roomId,
    seq: doc.seq,
    senderId: doc.senderId,
    clientMsgId: doc.clientMsgId,
    body: doc.body,
    ts: doc.ts,
  };
}

export class MongoMessageRepository implements MessageRepository {
  constructor(private readonly db: RouterDb) {}

  async findByKeys(requests: readonly SendRequest[]): Promise<StoredMessage[]> {
    const ids = [...new Set(requests.map(sendKey))];
    const found = await storeCall(() => this.db.dialect.findByIds(this.db.messages, ids));
    return found.map(toStored);
  }

  lastSeqs(roomIds: readonly string[]): Promise<Map<string, number>> {
    return this.newestSeqs(roomIds.map((roomId) => [roomId, { roomId }]));
  }

  /** The seq of `userId`'s newest message in each room (0 where they sent none): they have read it. */
  lastSentSeqs(userId: string, roomIds: readonly string[]): Promise<Map<string, number>> {
    return this.newestSeqs(roomIds.map((roomId) => [roomId, { roomId, senderId: userId }]));
  }

  /** Per key, the highest seq matching its filter: a backward seek of `room_seq` / `room_sender_seq`. */
  private async newestSeqs(filters: readonly (readonly [string, Filter<MessageDoc>])[]): Promise<Map<string, number>> {
    const newest = await Promise.all(
      filters.map(async ([key, filter]) => {
        const top = await storeCall(() =>
          this.db.messages.find(filter).sort({ seq: -1 }).limit(1).project({ seq: 1 }).toArray(),
        );
        return [key, (top[0]?.seq as number | undefined) ?? 0] as const;
      }),
    );
    return new Map(newest);
  }

  /**
   * `traces`: the write is a CLIENT span `insert messages` in the first of them that is sampled, linked to
   * the others (made here and not by the MongoDB instrumentation, which would need the trace to follow the
   * driver's awaits: AsyncLocalStorage).
   */
  async insert(
    messages: readonly StoredMessage[],
    traces: readonly (TraceContext | undefined)[] = [],
  ): Promise<{ stored: number }> {
    const docs: MessageDoc[] = messages.map((m) => ({ _id: sendKey(m), ...m }));
    const limit = this.db.dialect.insertLimit;
    return storeCall(() =>
      withSharedSpan(
        'insert messages',
        { kind: SpanKind.CLIENT, attributes: () => this.insertAttributes(docs.length) },
        traces,
        async () => {
          // in parts the store stops at a conflict within, each only after the one before got in whole
          for (let start = 0; start < docs.length; start += limit) {
            const part = docs.slice(start, start + limit);
            const stored = await this.insertOrdered(part);
            if (stored < part.length) return { stored: start + stored };
          }
          return { stored: docs.length };
        },
      ),
    );
  }

  /** One ordered `insertMany`: how many leading documents it stored (all, or those before a taken key). */
  private async insertOrdered(docs: readonly MessageDoc[]): Promise<number> {
    try {
      await this.db.messages.insertMany(docs, { ordered: true });
      return docs.length;
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      if (errors.length === 0 || errors.some((e) => e.code !== DUPLICATE_KEY)) throw err;
      // An ordered insert stops at its first error: everything before it is stored, nothing after.
      return Math.min(...errors.map((e) => e.index));
    }
  }

  /** The database client span's attributes (OpenTelemetry database conventions); never the documents. */
  private insertAttributes(count: number): Record<string, string | number> {
    return {
      'db.system.name': 'mongodb',
      'db.namespace': this.db.db.databaseName,
      'db.collection.name': this.db.messages.collectionName,
      'db.operation.name': 'insert',
      'db.operation.batch.size': count,
    };
  }

  /**
   * A page of history in ascending seq. With `afterSeq` it reads forward from there; otherwise it
   * reads backward from `beforeSeq` (or the newest message). `hasMore`: more exist in that direction.
   */
  async page(
    roomId: string,
    { afterSeq, beforeSeq, limit }: { afterSeq?: number; beforeSeq?: number; limit: number },
  ): Promise<HistoryResponse> {
    const seq: { $gt?: number; $lt?: number } = {};
    if (afterSeq !== undefined) seq.$gt = afterSeq;
    if (beforeSeq !== undefined) seq.$lt = beforeSeq;
    const forward = afterSeq !== undefined;
    const docs = await storeCall(() =>
      this.db.messages
        .find({ roomId, ...(Object.keys(seq).length > 0 ? { seq } : {}) })
        .sort({ seq: forward ? 1 : -1 })
        .limit(limit + 1)
        .toArray(),
    );
    const hasMore = docs.length > limit;
    const page = docs.slice(0, limit).map(toStored);
    return { messages: forward ? page : page.reverse(), hasMore };
  }

  /**
   * From the message at `afterSeq` on, newest first, one read: the first is the room's last seq; the
   * newest `max` after `afterSeq` are the replay. `undefined` when the message at `afterSeq` is not
   * stored (seqs have no gaps: then nothing after it is either).
   */
  async resume(roomId: string, afterSeq: number, max: number): Promise<Resumed | undefined> {
    const docs = await this.newest(roomId, { $gte: afterSeq }, max + 2);
    const newest = docs[0]?.seq as number | undefined;
    if (newest === undefined) return undefined;
    const after = docs.filter((d) => (d.seq as number) > afterSeq);
    return {
      lastSeq: newest,
      messages: after.slice(0, max).map(toStored).reverse(),
      truncated: after.length > max,
    };
  }

  /** The newest `max` messages with `seq > afterSeq`, ascending; `truncated` when older ones were left out. */
  async replay(
    roomId: string,
    afterSeq: number,
    max: number,
  ): Promise<{ messages: StoredMessage[]; truncated: boolean }> {
    const docs = await this.newest(roomId, { $gt: afterSeq }, max + 1);
    return { messages: docs.slice(0, max).map(toStored).reverse(), truncated: docs.length > max };
  }

  /** The room's messages whose seq matches `seq`, newest first, at most `limit`. */
  private newest(roomId: string, seq: { $gt: number } | { $gte: number }, limit: number): Promise<MessageDoc[]> {
    return storeCall(() => this.db.messages.find({ roomId, seq }).sort({ seq: -1 }).limit(limit).toArray());
  }
}
