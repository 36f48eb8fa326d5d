/** `reads`: each user's read marker per room; markers only move forward (`$max`). */
import { type ReadDoc, type RouterDb, readKey } from './database.js';
import { updateEach } from './update-each.js';

export interface ReadMark {
  roomId: string;
  userId: string;
  seq: number;
}

export class MongoReadRepository {
  constructor(private readonly db: RouterDb) {}

  async get(roomId: string, userId: string): Promise<number> {
    const doc = await this.db.reads.findOne({ _id: readKey(roomId, userId) });
    return doc?.seq ?? 0;
  }

  async forUser(userId: string, roomIds: readonly string[]): Promise<Map<string, number>> {
    const docs = await Promise.all(roomIds.map((roomId) => this.db.reads.findOne({ _id: readKey(roomId, userId) })));
    return new Map(docs.filter((d): d is ReadDoc => d !== null).map((d) => [d.roomId, d.seq]));
  }

  /** Raises each marker; tells for each whether it moved (only moved markers are announced). */
  raise(marks: readonly ReadMark[]): Promise<boolean[]> {
    return Promise.all(
      marks.map(async ({ roomId, userId, seq }) => {
        const result = await this.db.reads.updateOne(
          { _id: readKey(roomId, userId) },
          { $max: { seq }, $setOnInsert: { roomId, userId } },
          { upsert: true },
        );
        return result.modifiedCount === 1 || result.upsertedCount === 1;
      }),
    );
  }

  /** Raises markers without reporting (a sender has read their own message). */
  async raiseQuietly(marks: readonly ReadMark[]): Promise<void> {
    await updateEach(
      this.db.reads,
      marks.map(({ roomId, userId, seq }) => ({
        filter: { _id: readKey(roomId, userId) },
        update: { $max: { seq }, $setOnInsert: { roomId, userId } },
        upsert: true,
      })),
    );
  }
}
