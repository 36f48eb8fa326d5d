/**
 * The rooms this gateway carries traffic for. The gateway's queue is bound to a room while at least
 * one local socket has joined or is joining it (reference counted); each arriving room frame is
 * de-duplicated by seq, published once to the room's uWS topic for the live sockets, and held for
 * sockets still joining. After a broker reconnect (the gateway's queue is new, whatever was published
 * meanwhile is lost for it) each room asks a router for what its live sockets missed.
 */
import { CloseCode, messageFrameJson, type StoredMessage } from '@coffeechat/contracts';
import { secondsSince } from '@coffeechat/telemetry';
import type { ChatBackend, RoomFrame } from './chat-backend.js';
import type { TopicPublisher } from './client-socket.js';
import type { GatewayMetrics } from './metrics.js';
import { SeqFilter } from './seq-filter.js';
import type { Session } from './session.js';

interface HubRoom {
  refs: number;
  bound: Promise<void>;
  live: Set<Session>;
  joining: Set<Session>;
  /** set while the room is re-synchronized after a broker reconnect: live frames wait here */
  held?: RoomFrame[];
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
    private readonly backend: Pick<ChatBackend, 'bindRoom' | 'unbindRoom' | 'join'>,
    private readonly topics: TopicPublisher,
    private readonly metrics: GatewayMetrics,
    /** a joining socket holding more than this reads too slowly and is closed */
    private readonly holdLimitBytes: number,
  ) {}

  /** Takes a reference on the room's binding; resolves once room traffic reaches this gateway. */
  async retain(roomId: string): Promise<void> {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { refs: 0, bound: this.backend.bindRoom(roomId), live: new Set(), joining: new Set() };
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
    this.backend.unbindRoom(roomId).catch(() => undefined);
  }

  markJoining(roomId: string, session: Session): void {
    const room = this.rooms.get(roomId);
    room?.live.delete(session);
    room?.joining.add(session);
  }

  markLive(roomId: string, session: Session): void {
    const room = this.rooms.get(roomId);
    room?.joining.delete(session);
    room?.live.add(session);
  }

  detach(roomId: string, session: Session): void {
    const room = this.rooms.get(roomId);
    room?.joining.delete(session);
    room?.live.delete(session);
  }

  /** Every local socket joined to or joining the room. */
  sessionsIn(roomId: string): Session[] {
    const room = this.rooms.get(roomId);
    return room ? [...room.live, ...room.joining] : [];
  }

  deliver(frame: RoomFrame): void {
    const room = this.rooms.get(frame.roomId);
    if (!room) return; // arrived after the last local socket left
    if (frame.seq !== undefined && !this.seqs.accept(frame.roomId, frame.seq)) {
      this.metrics.duplicatesDropped.inc();
      return;
    }
    const kind = frameKind(frame);
    if (room.held) {
      room.held.push(frame);
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
    for (const session of room.joining) {
      const link = session.rooms.get(frame.roomId);
      if (!link || link.phase === 'live') continue;
      link.hold(frame);
      if (link.bufferedBytes > this.holdLimitBytes) {
        this.metrics.closes.inc({ reason: 'slow_reader' });
        session.socket.end(CloseCode.POLICY_VIOLATION, 'send buffer full');
      }
    }
  }

  /**
   * After a broker reconnect: every room with live sockets asks a router for the messages after the
   * oldest position among them and writes each socket what it lacks, in seq order, merged with the
   * live frames that arrived meanwhile (held until then), so the sockets keep a gapless stream.
   */
  async resync(): Promise<void> {
    const queue = [...this.rooms.entries()].filter(([, room]) => room.live.size > 0 && !room.held);
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.resyncRoom(next[0], next[1]);
    };
    await Promise.all(Array.from({ length: RESYNC_CONCURRENCY }, worker));
  }

  private async resyncRoom(roomId: string, room: HubRoom): Promise<void> {
    const forwarded = this.seqs.lastOf(roomId) ?? 0;
    // What each live socket has: its join point, or the last frame the room's topic carried since.
    const positions = new Map<Session, number>();
    for (const session of room.live)
      positions.set(session, Math.max(session.rooms.get(roomId)?.position ?? 0, forwarded));
    const afterSeq = Math.min(...positions.values());
    room.held = [];
    let replay: StoredMessage[] = [];
    try {
      for (const userId of new Set([...room.live].map((s) => s.userId))) {
        const reply = await this.backend.join({ kind: 'join', roomId, userId, afterSeq });
        if (reply.ok) {
          replay = reply.replay;
          break;
        }
      }
    } catch {
      // The router is unreachable: the sockets keep what they have; the SDK re-joins on the gap it sees.
    }
    const held = room.held;
    room.held = undefined;
    if (this.rooms.get(roomId) !== room) return;
    // Sockets that went live meanwhile got everything up to their own join point.
    for (const session of room.live)
      if (!positions.has(session)) positions.set(session, session.rooms.get(roomId)?.position ?? 0);
    const last = replay.at(-1);
    if (last) this.seqs.accept(roomId, last.seq);
    const frames: RoomFrame[] = replay.map((m) => ({ roomId, seq: m.seq, bytes: Buffer.from(messageFrameJson(m)) }));
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
