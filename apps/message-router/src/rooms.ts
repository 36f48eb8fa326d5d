/**
 * Rooms and memberships as the HTTP API changes them. A change is stored first, then announced on
 * `<ns>.events` (gateways act on `membership.removed` at once; routers drop cached membership).
 */

import { randomUUID } from 'node:crypto';
import type { CreateRoomBody, MyRoom, Room, Topology } from '@coffeechat/contracts';
import { HttpProblem, type Logger } from '@coffeechat/service-kit';
import { membershipChanged, type Publisher, roomCreated } from './publications.js';
import { type ReadPositionSources, readPositions } from './read-position.js';

/** A room as it is stored (its `lastSeq` is not: it is read from the messages). */
export interface RoomRecord {
  roomId: string;
  postId: string | null;
  title: string | null;
  memberIds: string[];
  createdAt: Date;
}

export type AddMemberOutcome = 'added' | 'already' | 'full' | 'missing';
export type RemoveMemberOutcome = 'removed' | 'absent' | 'missing';

/** Where rooms are kept (implemented in mongo/room-repository.ts). */
export interface RoomStore {
  /** false when a room with this id exists */
  create(room: RoomRecord): Promise<boolean>;
  get(roomId: string): Promise<RoomRecord | null>;
  /** adds a member unless the room is full; two concurrent adds cannot both pass the size check */
  addMember(roomId: string, userId: string, maxMembers: number): Promise<AddMemberOutcome>;
  removeMember(roomId: string, userId: string): Promise<RemoveMemberOutcome>;
  /** a member's rooms in id order, after `afterRoomId` */
  listForMember(userId: string, afterRoomId: string | undefined, limit: number): Promise<RoomRecord[]>;
}

/** What every view of a room shows. */
const basics = ({ roomId, postId, title, memberIds }: RoomRecord) => ({ roomId, postId, title, memberIds });

const toRoom = (doc: RoomRecord, lastSeq: number): Room => ({
  ...basics(doc),
  lastSeq,
  createdAt: doc.createdAt.toISOString(),
});

/** Where rooms' positions come from: derived from the stored messages and read markers. */
export interface RoomPositions extends ReadPositionSources {
  lastSeqs(roomIds: readonly string[]): Promise<Map<string, number>>;
}

export interface RoomServiceDeps {
  rooms: RoomStore;
  positions: RoomPositions;
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
    const doc: RoomRecord = {
      roomId: body.roomId ?? randomUUID(),
      postId: body.postId ?? null,
      title: body.title ?? null,
      memberIds: body.memberIds,
      createdAt: new Date(at),
    };
    if (!(await this.deps.rooms.create(doc))) throw new HttpProblem('CONFLICT', `room ${doc.roomId} exists`);
    this.deps.invalidate(doc.roomId);
    // The room exists either way; a lost event only leaves the feed's chat counter short, so it is logged, not failed.
    await this.deps.publisher
      .publishAll([
        roomCreated(this.deps.topology, { roomId: doc.roomId, postId: doc.postId, memberIds: doc.memberIds, at }),
      ])
      .catch((err: unknown) =>
        this.deps.logger.warn({ err: (err as Error).message, roomId: doc.roomId }, 'room.created not published'),
      );
    return toRoom(doc, 0);
  }

  /**
   * The room, if the caller may see it: a member, or an admin. Otherwise 404 exactly as for a room that
   * does not exist (SPEC §5): a 403 would tell that it exists.
   */
  async visibleTo(roomId: string, userId: string, { admin }: { admin: boolean }): Promise<RoomRecord> {
    const doc = await this.deps.rooms.get(roomId);
    if (!doc || (!admin && !doc.memberIds.includes(userId))) throw new HttpProblem('NOT_FOUND', `no room ${roomId}`);
    return doc;
  }

  /** The room as `GET /rooms/:roomId` shows it, its `lastSeq` read from the messages. */
  async view(doc: RoomRecord): Promise<Room> {
    const lastSeqs = await this.deps.positions.lastSeqs([doc.roomId]);
    return toRoom(doc, lastSeqs.get(doc.roomId) ?? 0);
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
    const roomIds = page.map((d) => d.roomId);
    const [lastSeqs, reads] = await Promise.all([
      this.deps.positions.lastSeqs(roomIds),
      readPositions(this.deps.positions, userId, roomIds),
    ]);
    const rooms = page.map((doc): MyRoom => {
      const lastSeq = lastSeqs.get(doc.roomId) ?? 0;
      const readSeq = Math.min(reads.get(doc.roomId) ?? 0, lastSeq);
      return { ...basics(doc), lastSeq, readSeq, unread: lastSeq - readSeq };
    });
    const last = page[page.length - 1];
    return { rooms, next: docs.length > limit && last ? last.roomId : null };
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
