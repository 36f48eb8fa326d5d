/**
 * The rooms this gateway carries traffic for, and the room feed that brings it. The gateway's queue is
 * bound to a room while a local socket has joined or is joining it, or awaits an ack there (reference
 * counted); each arriving room frame is de-duplicated by seq and published once to the room's uWS topic
 * for the live sockets (sockets still joining hold it in their link, see room-joins.ts). After a broker
 * reconnect (the gateway's queue is new, whatever was published meanwhile is lost for it, membership
 * events included) each room asks a router, for every user with live sockets there, whether they are
 * still members, and for what the sockets missed.
 */
import { messageFrameJson, type StoredMessage } from '@coffeechat/contracts';
import { secondsSince } from '@coffeechat/telemetry';
import type { TopicPublisher } from './client-socket.js';
import type { GatewayMetrics } from './metrics.js';
import type { RoomFeed, RoomFrame } from './room-feed.js';
import type { RouterClient } from './router-client.js';
import { SeqFilter } from './seq-filter.js';
import type { Session } from './session.js';

interface HubRoom {
  refs: number;
  bound: Promise<void>;
  live: Set<Session>;
  /** set while the room is re-synchronized after a broker reconnect: live frames wait here */
  resyncHeld?: RoomFrame[];
}

/** At most this many rooms ask the routers for their missed messages at once after a reconnect. */
const RESYNC_CONCURRENCY = 16;

export const roomTopic = (roomId: string) => `room/${roomId}`;

export type FrameKind = 'message' | 'read' | 'typing';
export const frameKind = (frame: RoomFrame): FrameKind =>
  frame.seq !== undefined ? 'message' : frame.userId !== undefined ? 'typing' : 'read';

export class RoomHub {
  private readonly rooms = new Map<string, HubRoom>();
  private readonly seqs = new SeqFilter();

  constructor(
    private readonly feed: Pick<RoomFeed, 'bindRoom' | 'unbindRoom'>,
    private readonly router: Pick<RouterClient, 'join'>,
    private readonly topics: TopicPublisher,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** Takes a reference on the room's binding; resolves once room traffic reaches this gateway. */
  async retain(roomId: string): Promise<void> {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { refs: 0, bound: this.feed.bindRoom(roomId), live: new Set() };
      // A failed bind is reported to the joins awaiting it; the entry goes with their releases.
      room.bound.catch(() => undefined);
      this.rooms.set(roomId, room);
      this.metrics.roomsBound.set(this.rooms.size);
    }
    room.refs += 1;
    await room.bound;
  }

  release(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.refs -= 1;
    if (room.refs > 0) return;
    this.rooms.delete(roomId);
    this.seqs.forget(roomId);
    this.metrics.roomsBound.set(this.rooms.size);
    this.feed.unbindRoom(roomId).catch(() => undefined);
  }

  /** The socket reads the room's topic now (it went live). */
  addLive(roomId: string, session: Session): void {
    this.rooms.get(roomId)?.live.add(session);
  }

  removeLive(roomId: string, session: Session): void {
    this.rooms.get(roomId)?.live.delete(session);
  }

  /** The local sockets that read the room's topic. */
  liveIn(roomId: string): Iterable<Session> {
    return this.rooms.get(roomId)?.live ?? [];
  }

  /**
   * A room frame from the feed, to the room's live sockets. False when it is not for them: the room is
   * not bound here any more, or the frame's seq was forwarded before.
   */
  deliver(frame: RoomFrame): boolean {
    const room = this.rooms.get(frame.roomId);
    if (!room) return false; // arrived after the last local socket left
    if (frame.seq !== undefined && !this.seqs.accept(frame.roomId, frame.seq)) {
      this.metrics.duplicatesDropped.inc();
      return false;
    }
    const kind = frameKind(frame);
    if (room.resyncHeld) {
      room.resyncHeld.push(frame);
    } else if (frame.userId !== undefined) {
      // Typing skips the typist's own sockets, which a topic cannot do: write to each socket.
      let sent = 0;
      for (const session of room.live) {
        if (session.userId !== frame.userId && session.socket.send(frame.bytes)) sent += 1;
      }
      this.metrics.framesOut.inc({ type: kind }, sent);
    } else {
      this.metrics.framesOut.inc({ type: kind }, this.topics.publish(roomTopic(frame.roomId), frame.bytes));
    }
    if (frame.sentAt !== undefined) this.metrics.sendToDeliver.observe(secondsSince(frame.sentAt));
    if (frame.storedAt !== undefined)
      this.metrics.hopLatency.observe({ hop: 'delivery' }, secondsSince(frame.storedAt));
    return true;
  }

  /**
   * After a broker reconnect: every room with live sockets asks a router, per user, whether they are
   * still members (a `membership.removed` published while the link was down is lost): `notMember` is
   * called at once for each who is not, before anything more is written to the room. Then each socket
   * gets the messages it lacks after the oldest position among them, in seq order, merged with the live
   * frames that arrived meanwhile (held until then), so the sockets keep a gapless stream.
   */
  async resync(notMember: (roomId: string, userId: string) => void): Promise<void> {
    const queue = [...this.rooms.entries()].filter(([, room]) => room.live.size > 0 && !room.resyncHeld);
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.resyncRoom(next[0], next[1], notMember);
    };
    await Promise.all(Array.from({ length: RESYNC_CONCURRENCY }, worker));
  }

  private async resyncRoom(
    roomId: string,
    room: HubRoom,
    notMember: (roomId: string, userId: string) => void,
  ): Promise<void> {
    const forwarded = this.seqs.lastOf(roomId) ?? 0;
    // What each live socket has: its join point, or the last frame the room's topic carried since.
    const positions = new Map<Session, number>();
    for (const session of room.live)
      positions.set(session, Math.max(session.rooms.get(roomId)?.position ?? 0, forwarded));
    const afterSeq = Math.min(...positions.values());
    room.resyncHeld = [];
    let replay: StoredMessage[] | undefined;
    const refused: string[] = [];
    try {
      // The first member's answer carries the replay; the others' only say whether they still are members.
      for (const userId of new Set([...room.live].map((s) => s.userId))) {
        const reply = await this.router.join({ kind: 'join', roomId, userId, ...(replay ? {} : { afterSeq }) });
        if (reply.ok) replay ??= reply.replay;
        else if (reply.code === 'NOT_A_MEMBER') refused.push(userId);
      }
    } catch {
      // The router is unreachable: the sockets keep what they have; the SDK re-joins on the gap it sees.
    }
    for (const userId of refused) notMember(roomId, userId);
    const held = room.resyncHeld ?? [];
    room.resyncHeld = undefined;
    if (this.rooms.get(roomId) !== room) return;
    // Sockets that went live meanwhile got everything up to their own join point.
    for (const session of room.live)
      if (!positions.has(session)) positions.set(session, session.rooms.get(roomId)?.position ?? 0);
    const last = replay?.at(-1);
    if (last) this.seqs.accept(roomId, last.seq);
    const frames: RoomFrame[] = (replay ?? []).map((m) => ({
      roomId,
      seq: m.seq,
      bytes: Buffer.from(messageFrameJson(m)),
    }));
    for (const frame of [...frames, ...held]) {
      let sent = 0;
      for (const session of room.live) {
        const at = positions.get(session) ?? 0;
        if (frame.seq !== undefined) {
          if (frame.seq <= at) continue;
          positions.set(session, frame.seq);
        } else if (frame.userId === session.userId) continue;
        if (session.socket.send(frame.bytes)) sent += 1;
      }
      this.metrics.framesOut.inc({ type: frameKind(frame) }, sent);
    }
  }
}
