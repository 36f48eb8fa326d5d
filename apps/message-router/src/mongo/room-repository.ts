/** `rooms`: membership and titles (a room's `lastSeq` is read from `messages`). */
import type { RoomInfo } from '../membership-cache.js';
import type { AddMemberOutcome, RemoveMemberOutcome, RoomRecord, RoomStore } from '../rooms.js';
import type { RoomDoc, RouterDb } from './database.js';
import { isDuplicateKey, storeCall } from './store-errors.js';

const toRecord = ({ _id, ...rest }: RoomDoc): RoomRecord => ({ roomId: _id, ...rest });

export class MongoRoomRepository implements RoomStore {
  constructor(private readonly db: RouterDb) {}

  create({ roomId, ...rest }: RoomRecord): Promise<boolean> {
    return storeCall(async () => {
      try {
        await this.db.rooms.insertOne({ _id: roomId, ...rest });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    });
  }

  get(roomId: string): Promise<RoomRecord | null> {
    return storeCall(async () => {
      const doc = await this.db.rooms.findOne({ _id: roomId });
      return doc ? toRecord(doc) : null;
    });
  }

  /** Rooms by id, one `_id` lookup each (indexed everywhere, never a collection scan). */
  async infos(roomIds: readonly string[]): Promise<Map<string, RoomInfo>> {
    const rooms = await Promise.all(roomIds.map((roomId) => this.get(roomId)));
    const out = new Map<string, RoomInfo>();
    for (const room of rooms)
      if (room) out.set(room.roomId, { roomId: room.roomId, postId: room.postId, memberIds: room.memberIds });
    return out;
  }

  /**
   * Adds a member unless the room is full. The update matches the member list it read, so two
   * concurrent adds cannot both pass the size check; the loser reads again.
   */
  async addMember(roomId: string, userId: string, maxMembers: number): Promise<AddMemberOutcome> {
    for (;;) {
      const room = await this.get(roomId);
      if (!room) return 'missing';
      if (room.memberIds.includes(userId)) return 'already';
      if (room.memberIds.length >= maxMembers) return 'full';
      const result = await storeCall(() =>
        this.db.rooms.updateOne({ _id: roomId, memberIds: room.memberIds }, { $push: { memberIds: userId } }),
      );
      if (result.modifiedCount === 1) return 'added';
    }
  }

  async removeMember(roomId: string, userId: string): Promise<RemoveMemberOutcome> {
    const result = await storeCall(() => this.db.rooms.updateOne({ _id: roomId }, { $pull: { memberIds: userId } }));
    if (result.matchedCount === 0) return 'missing';
    return result.modifiedCount === 1 ? 'removed' : 'absent';
  }

  /** A member's rooms in `_id` order, after `afterRoomId`; one more than `limit` tells there are more. */
  async listForMember(userId: string, afterRoomId: string | undefined, limit: number): Promise<RoomRecord[]> {
    const docs = await storeCall(() =>
      this.db.rooms
        .find({ memberIds: userId, ...(afterRoomId !== undefined ? { _id: { $gt: afterRoomId } } : {}) })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray(),
    );
    return docs.map(toRecord);
  }
}
