/**
 * `reads`: each user's explicit read marker per room (`read` frames); markers only move forward (`$max`).
 * A sender's reading of their own messages is not written here: it is derived from `messages`.
 */
import type { ReadMark, ReadMarkers } from '../read-marks.js';
import { type ReadDoc, type RouterDb, readKey } from './database.js';
import { storeCall } from './store-errors.js';

export class MongoReadRepository implements ReadMarkers {
  constructor(private readonly db: RouterDb) {}

  /** The user's stored markers in these rooms (rooms without one are absent). */
  async markers(userId: string, roomIds: readonly string[]): Promise<Map<string, number>> {
    const docs = await storeCall(() =>
      Promise.all(roomIds.map((roomId) => this.db.reads.findOne({ _id: readKey(roomId, userId) }))),
    );
    return new Map(docs.filter((d): d is ReadDoc => d !== null).map((d) => [d.roomId, d.seq]));
  }

  /**
   * Raises each marker and tells for each whether it moved (only moved markers are announced): the
   * markers are read, and those that move are written with one update command. Reads of a room go
   * through its partition's one owner, so nothing moves a marker between the two (a stale owner during
   * a fail-over can at worst cause one announcement too many, which clients ignore: markers only grow).
   */
  async raise(marks: readonly ReadMark[]): Promise<boolean[]> {
    if (marks.length === 0) return [];
    const ids = marks.map(({ roomId, userId }) => readKey(roomId, userId));
    const found = await storeCall(() => this.db.dialect.findByIds(this.db.reads, [...new Set(ids)]));
    const current = new Map(found.map((d) => [d._id, d.seq]));
    const moves = marks.map((mark, i) => mark.seq > (current.get(ids[i] as string) ?? 0));
    await storeCall(() =>
      this.db.dialect.updateMany(
        this.db.reads,
        marks
          .filter((_, i) => moves[i])
          .map(({ roomId, userId, seq }) => ({
            filter: { _id: readKey(roomId, userId) },
            update: { $max: { seq }, $setOnInsert: { roomId, userId } },
            upsert: true,
          })),
      ),
    );
    return moves;
  }
}
