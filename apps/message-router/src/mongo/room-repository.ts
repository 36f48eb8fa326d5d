/** `rooms`: membership, titles, and the recorded `lastSeq`. */
import { MongoServerError } from 'mongodb';
import type { RoomInfo } from '../membership-cache.js';
import type { RoomDoc, RouterDb } from './database.js';

const DUPLICATE_KEY = 11000;

export type AddMemberOutcome = 'added' | 'already' | 'full' | 'missing';
export type RemoveMemberOutcome = 'removed' | 'absent' | 'missing';

export class MongoRoomRepository {
  constructor(private readonly db: RouterDb) {}

  /** false when a room with this id exists */
  async create(room: RoomDoc): Promise<boolean> {
    try {
      await this.db.rooms.insertOne(room);
      return true;
    } catch (err) {
      if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return false;
      throw err;
    }
  }

  get(roomId: string): Promise<RoomDoc | null> {
    return this.db.rooms.findOne({ _id: roomId });
  }

  /** Rooms by id, one `_id` lookup each (indexed everywhere, never a collection scan). */
  async infos(roomIds: readonly string[]): Promise<Map<string, RoomInfo>> {
    const docs = await Promise.all(roomIds.map((roomId) => this.get(roomId)));
    const out = new Map<string, RoomInfo>();
    for (const doc of docs)
      if (doc) out.set(doc._id, { roomId: doc._id, postId: doc.postId, memberIds: doc.memberIds });
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
      const result = await this.db.rooms.updateOne(
        { _id: roomId, memberIds: room.memberIds },
        { $push: { memberIds: userId } },
      );
      if (result.modifiedCount === 1) return 'added';
    }
  }

  async removeMember(roomId: string, userId: string): Promise<RemoveMemberOutcome> {
    const result = await this.db.rooms.updateOne({ _id: roomId }, { $pull: { memberIds: userId } });
    if (result.matchedCount === 0) return 'missing';
    return result.modifiedCount === 1 ? 'removed' : 'absent';
  }

  /** A member's rooms in `_id` order, after `afterRoomId`; one more than `limit` tells there are more. */
  listForMember(userId: string, afterRoomId: string | undefined, limit: number): Promise<RoomDoc[]> {
    return this.db.rooms
      .find({ memberIds: userId, ...(afterRoomId !== undefined ? { _id: { $gt: afterRoomId } } : {}) })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
  }
}
