/**
 * The router's MongoDB collections and their indexes. FerretDB v1 (the local stand-in) supports
 * everything used here: unique indexes, insertMany, updateOne with $max/$push/$pull, find with
 * sort/limit. It enforces the unique indexes but answers queries by scanning (it pushes equality
 * filters down to PostgreSQL, not sorts or ranges), so the hot path only inserts; reads by room are
 * index seeks on MongoDB and scans of the collection on FerretDB.
 */
import type { Logger } from '@coffeechat/service-kit';
import { type Collection, type Db, MongoClient } from 'mongodb';
import { type StoreDialect, type StoreServer, storeDialect } from './dialect.js';

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

/** A room's `lastSeq` is not stored here: it is the highest seq in `messages` (one write per batch). */
export interface RoomDoc {
  _id: string;
  postId: string | null;
  title: string | null;
  memberIds: string[];
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
  /** lookups by `_id` and multi-document updates, as the server needs them (dialect.ts) */
  dialect: StoreDialect;
  /** true while the last ping answered */
  isReachable(): boolean;
  close(): Promise<void>;
}

/**
 * The unique keys of docs/internals.md (`_id` is the send key; `(roomId, seq)` fences a stale owner and
 * gives a room's last seq), a sender's newest message per room (their implicit read marker), and what
 * `/me/rooms` looks rooms and markers up by. Created at start-up, idempotently, so no request pays for it.
 */
async function ensureIndexes(db: Db): Promise<void> {
  const messages = db.collection<MessageDoc>('messages');
  await Promise.all([
    messages.createIndex({ roomId: 1, seq: 1 }, { unique: true, name: 'room_seq' }),
    messages.createIndex({ roomId: 1, senderId: 1, seq: 1 }, { name: 'room_sender_seq' }),
    db.collection<RoomDoc>('rooms').createIndex({ memberIds: 1 }, { name: 'member' }),
    db.collection<ReadDoc>('reads').createIndex({ userId: 1 }, { name: 'user' }),
  ]);
}

/** Connects and creates the indexes, retrying until the store answers (the process is not ready before). */
export async function connectDb(url: string, logger: Logger, { pingEveryMs = 2000 } = {}): Promise<RouterDb> {
  // A small pool per process keeps the commands in flight well below what FerretDB's PostgreSQL pool
  // (50 connections) and PostgreSQL itself (100) allow for every service and test run together. An operation stuck for 15 s fails as a network timeout (a transient error): the driver drops that
  // connection, which ends the store's work for it, and the partition retries its batch idempotently.
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, maxPoolSize: 10, socketTimeoutMS: 15_000 });
  const db = client.db();
  let server: StoreServer;
  for (;;) {
    try {
      await client.connect();
      await ensureIndexes(db);
      const info = await client.db('admin').command({ buildInfo: 1 });
      server = 'ferretdbVersion' in info || 'ferretdb' in info ? 'ferretdb' : 'mongodb';
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
    dialect: storeDialect(server),
    isReachable: () => reachable,
    async close() {
      clearInterval(timer);
      await client.close();
    },
  };
}
