/**
 * The router's MongoDB collections and their indexes. FerretDB v1 (the local stand-in) supports
 * everything used here: unique indexes, insertMany, updateOne with $max/$addToSet/$pull, find with
 * sort/limit. It scans collections for most filters, so hot-path reads go by `_id`.
 */
import type { Logger } from '@coffeechat/service-kit';
import { type Collection, type Db, MongoClient } from 'mongodb';

/** `_id` is `sendKey(roomId, senderId, clientMsgId)`, so a resend is found by `_id` alone. */
export interface MessageDoc {
  _id: string;
  roomId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  body: string;
  ts: number;
}

export interface RoomDoc {
  _id: string;
  postId: string | null;
  title: string | null;
  memberIds: string[];
  /** highest stored seq; raised after each insert, so it may lag `messages` after a crash, never lead */
  lastSeq: number;
  createdAt: Date;
}

/** A user's read marker in a room; `_id` is `readKey(roomId, userId)`. */
export interface ReadDoc {
  _id: string;
  roomId: string;
  userId: string;
  seq: number;
}

export const readKey = (roomId: string, userId: string) => JSON.stringify([roomId, userId]);

export interface RouterDb {
  client: MongoClient;
  db: Db;
  messages: Collection<MessageDoc>;
  rooms: Collection<RoomDoc>;
  reads: Collection<ReadDoc>;
  /** true while the last ping answered */
  isReachable(): boolean;
  close(): Promise<void>;
}

/** The unique keys of docs/internals.md, plus what `/me/rooms` looks rooms and markers up by. */
async function ensureIndexes(db: Db): Promise<void> {
  const messages = db.collection<MessageDoc>('messages');
  await Promise.all([
    messages.createIndex({ roomId: 1, seq: 1 }, { unique: true, name: 'room_seq' }),
    messages.createIndex({ roomId: 1, senderId: 1, clientMsgId: 1 }, { unique: true, name: 'room_sender_client' }),
    db.collection<RoomDoc>('rooms').createIndex({ memberIds: 1 }, { name: 'member' }),
    db.collection<ReadDoc>('reads').createIndex({ userId: 1 }, { name: 'user' }),
  ]);
}

/** Connects and creates the indexes, retrying until the store answers (the process is not ready before). */
export async function connectDb(url: string, logger: Logger, { pingEveryMs = 2000 } = {}): Promise<RouterDb> {
  // FerretDB's SQLite backend keeps 100 connections per database and deadlocks when they are all
  // taken (see update-each.ts); a small pool per process keeps the commands in flight well below that.
  // An operation stuck for 15 s fails as a network timeout (a transient error): the driver drops that
  // connection, which ends the store's work for it, and the partition retries its batch idempotently.
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, maxPoolSize: 10, socketTimeoutMS: 15_000 });
  const db = client.db();
  for (;;) {
    try {
      await client.connect();
      await ensureIndexes(db);
      break;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'MongoDB not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  const messages = db.collection<MessageDoc>('messages');
  const rooms = db.collection<RoomDoc>('rooms');
  const reads = db.collection<ReadDoc>('reads');
  let reachable = true;
  let pinging = false;
  const timer = setInterval(() => {
    if (pinging) return;
    pinging = true;
    db.command({ ping: 1 }, { timeoutMS: pingEveryMs })
      .then(
        () => {
          reachable = true;
        },
        () => {
          reachable = false;
        },
      )
      .finally(() => {
        pinging = false;
      });
  }, pingEveryMs);
  timer.unref();
  return {
    client,
    db,
    messages,
    rooms,
    reads,
    isReachable: () => reachable,
    async close() {
      clearInterval(timer);
      await client.close();
    },
  };
}
