/**
 * Times the store operations the message router makes for one partition batch (see
 * apps/message-router/src/mongo/message-repository.ts) against the configured MongoDB-wire server,
 * at growing sizes of the `messages` collection: the profile behind "the store saturates first" in
 * docs/benchmarks.md. Uses its own database and drops it.
 *
 *   node loadtest/dist/tools/store-profile.js [--batch=27] [--rooms=20] [--sizes=0,2000,10000] [--repeat=5]
 *
 * Prints a table and writes loadtest/reports/store-profile-<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StoredMessage } from '@coffeechat/contracts';
import { withMongoDatabase } from '@coffeechat/testkit';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../config.js';
import { REPORTS_DIR } from '../report/write.js';

/** As the router stores a message: the message with its send key as `_id`. */
type MessageDoc = StoredMessage & { _id: string };

function arg(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const batch = Number(arg('batch', '27'));
const roomCount = Number(arg('rooms', '20'));
const sizes = arg('sizes', '0,2000,10000').split(',').map(Number);
const repeat = Number(arg('repeat', '5'));

const config = loadConfig(process.env);
const database = `bench_store_${process.pid}`;
const client = new MongoClient(withMongoDatabase(config.infra.mongo, database), { serverSelectionTimeoutMS: 5000 });
await client.connect();
const db = client.db(database);
const messages = db.collection<MessageDoc>('messages');
const rooms = db.collection<{ _id: string; lastSeq: number }>('rooms');
await messages.createIndex({ roomId: 1, seq: 1 }, { unique: true });
await rooms.insertMany(Array.from({ length: 500 }, (_, i) => ({ _id: `room${i}`, lastSeq: 0 })));

let seq = 0;
const doc = (room: number): MessageDoc => {
  seq++;
  return {
    _id: `room${room}\u0000u${seq}\u0000m${seq}`,
    roomId: `room${room}`,
    seq,
    senderId: `u${seq}`,
    clientMsgId: `m${seq}`,
    body: 'x'.repeat(100),
    ts: Date.now(),
  };
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const rows: Record<string, number | string>[] = [];
try {
  for (const size of sizes) {
    while ((await messages.estimatedDocumentCount()) < size) {
      await messages.insertMany(
        Array.from({ length: 500 }, (_, i) => doc(i % 500)),
        { ordered: false },
      );
    }
    const t: Record<string, number[]> = {
      findOneById: [],
      findByIdsIn: [],
      roomsIn: [],
      insertMany: [],
      raiseLastSeqs: [],
      newestInRoom: [],
    };
    for (let r = 0; r < repeat; r++) {
      const docs = Array.from({ length: batch }, (_, i) => doc(i % roomCount));
      const ids = docs.map((d) => d._id);
      const roomIds = [...new Set(docs.map((d) => d.roomId))];
      t.findOneById?.push(await time(() => messages.findOne({ _id: ids[0] ?? '' })));
      t.findByIdsIn?.push(await time(() => messages.find({ _id: { $in: ids } }).toArray()));
      t.roomsIn?.push(await time(() => rooms.find({ _id: { $in: roomIds } }).toArray()));
      t.insertMany?.push(await time(() => messages.insertMany(docs, { ordered: false })));
      t.raiseLastSeqs?.push(
        await time(() =>
          rooms.bulkWrite(
            roomIds.map((id) => ({ updateOne: { filter: { _id: id }, update: { $max: { lastSeq: seq } } } })),
            { ordered: false },
          ),
        ),
      );
      t.newestInRoom?.push(await time(() => messages.find({ roomId: 'room1' }).sort({ seq: -1 }).limit(1).toArray()));
    }
    const row = {
      messages: size,
      ...Object.fromEntries(Object.entries(t).map(([k, v]) => [`${k}Ms`, Math.round(median(v) * 10) / 10])),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  mkdirSync(REPORTS_DIR, { recursive: true });
  const file = path.join(REPORTS_DIR, `store-profile-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ batch, rooms: roomCount, repeat, store: config.infra.mongo, rows }, null, 2)}\n`,
  );
  console.log(`written ${file}`);
} finally {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
}
