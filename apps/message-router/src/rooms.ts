/**
 * Rooms and memberships as the HTTP API changes them. A change is stored first, then announced on
 * `<ns>.events` (gateways act on `membership.removed` at once; routers drop cached membership).
 */

import { randomUUID } from 'node:crypto';
import type { CreateRoomBody, MyRoom, Room, Topology } from '@coffeechat/contracts';
import { HttpProblem, type Logger } from '@coffeechat/service-kit';
import type { RoomDoc } from './mongo/database.js';
import type { MongoReadRepository } from './mongo/read-repository.js';
import type { MongoRoomRepository } from './mongo/room-repository.js';
import type { Publisher } from './partition-worker.js';
import { membershipChanged, roomCreated } from './publications.js';

export function toRoom(doc: RoomDoc): Room {
  return {
    roomId: doc._id,
    postId: doc.postId,
    title: doc.title,
    memberIds: doc.memberIds,
    lastSeq: doc.lastSeq,
    createdAt: doc.createdAt.toISOString(),
  };
}

export interface RoomServiceDeps {
  rooms: MongoRoomRepository;
  reads: MongoReadRepository;
  publisher: Publisher;
  topology: Topology;
  maxMembers: number;
  /** drops this router's cached membership of a room at once (events reach the other routers) */
  invalidate: (roomId: string) => void;
  logger: Logger;
  now?: () => number;
}

export class RoomService {
  private readonly now: () => number;

  constructor(private readonly deps: RoomServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async create(body: CreateRoomBody): Promise<Room> {
    if (body.memberIds.length > this.deps.maxMembers) {
      throw new HttpProblem('BAD_REQUEST', `body.memberIds: at most ${this.deps.maxMembers} members`, 'memberIds');
    }
    const at = this.now();
    const doc: RoomDoc = {
      _id: body.roomId ?? randomUUID(),
      postId: body.postId ?? null,
      title: body.title ?? null,
      memberIds: body.memberIds,
      lastSeq: 0,
      createdAt: new Date(at),
    };
    if (!(await this.deps.rooms.create(doc))) throw new HttpProblem('CONFLICT', `room ${doc._id} exists`);
    this.deps.invalidate(doc._id);
    // The room exists either way; a lost event only leaves the feed's chat counter short, so it is logged, not failed.
    await this.deps.publisher
      .publishAll([
        roomCreated(this.deps.topology, { roomId: doc._id, postId: doc.postId, memberIds: doc.memberIds, at }),
      ])
      .catch((err: unknown) =>
        this.deps.logger.warn({ err: (err as Error).message, roomId: doc._id }, 'room.created not published'),
      );
    return toRoom(doc);
  }

  async get(roomId: string): Promise<RoomDoc> {
    const doc = await this.deps.rooms.get(roomId);
    if (!doc) throw new HttpProblem('NOT_FOUND', `no room ${roomId}`);
    return doc;
  }

  async addMember(roomId: string, userId: string): Promise<void> {
    const outcome = await this.deps.rooms.addMember(roomId, userId, this.deps.maxMembers);
    if (outcome === 'missing') throw new HttpProblem('NOT_FOUND', `no room ${roomId}`);
    if (outcome === 'full')
      throw new HttpProblem('CONFLICT', `room ${roomId} is full (${this.deps.maxMembers} members)`);
    await this.announce({ kind: 'added', roomId, userId });
  }

  async removeMember(roomId: string, userId: string): Promise<void> {
    const outcome = await this.deps.rooms.removeMember(roomId, userId);
    if (outcome === 'missing') throw new HttpProblem('NOT_FOUND', `no room ${roomId}`);
    await this.announce({ kind: 'removed', roomId, userId });
  }

  /** The caller's rooms after `afterRoomId`, with unread counts; `next` is the last room id when more follow. */
  async listMine(
    userId: string,
    afterRoomId: string | undefined,
    limit: number,
  ): Promise<{ rooms: MyRoom[]; next: string | null }> {
    const docs = await this.deps.rooms.listForMember(userId, afterRoomId, limit + 1);
    const page = docs.slice(0, limit);
    const reads = await this.deps.reads.forUser(
      userId,
      page.map((d) => d._id),
    );
    const rooms = page.map((doc): MyRoom => {
      const readSeq = Math.min(reads.get(doc._id) ?? 0, doc.lastSeq);
      return {
        roomId: doc._id,
        postId: doc.postId,
        title: doc.title,
        memberIds: doc.memberIds,
        lastSeq: doc.lastSeq,
        readSeq,
        unread: doc.lastSeq - readSeq,
      };
    });
    const last = page[page.length - 1];
    return { rooms, next: docs.length > limit && last ? last._id : null };
  }

  /**
   * Announced even when nothing changed (already a member / not a member), so a retried call repairs
   * an announcement that failed the first time. Failing to announce is a 503: the change is stored,
   * and the caller's retry is idempotent.
   */
  private async announce(change: { kind: 'added' | 'removed'; roomId: string; userId: string }): Promise<void> {
    this.deps.invalidate(change.roomId);
    try {
      await this.deps.publisher.publishAll([membershipChanged(this.deps.topology, { ...change, at: this.now() })]);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, roomId: change.roomId }, 'membership event not published');
      throw new HttpProblem('UNAVAILABLE', 'membership stored but not announced; retry the request');
    }
  }
}
