/**
 * The rooms this gateway carries traffic for, and who receives each room's frames here. The gateway's
 * queue is bound to a room while a local socket has joined or is joining it, or awaits an ack there
 * (reference counted). Each room's frames pass its stream (room-stream.ts: strictly ascending, gapless
 * seqs) and go to the room's uWS topic for the live sockets, one by one to sockets that went live ahead
 * of the topic, and to the links of sockets still joining (room-link.ts holds them). When messages are
 * missing (published while the gateway's queue was gone after a broker reconnect, or before a gap), the
 * room asks a router for them and its frames wait until they came, so no socket ever sees a gap: a
 * client that saw one would join again and be sent what it had (a duplicate on the wire).
 */
import { CloseCode, messageFrameJson } from '@coffeechat/contracts';
import { secondsSince } from '@coffeechat/telemetry';
import type { TopicPublisher } from './client-socket.js';
import type { GatewayMetrics } from './metrics.js';
import type { RoomFeed, RoomFrame } from './room-feed.js';
import { RoomStream } from './room-stream.js';
import type { RouterClient } from './router-client.js';
import type { Session } from './session.js';

interface HubRoom {
  refs: number;
  bound: Promise<void>;
  /** sockets reading the room's topic: each has every message up to the stream's last */
  live: Set<Session>;
  /** sockets that went live past the stream's last (their join read newer messages): written to one by one, with their position, until the topic has caught up */
  ahead: Map<Session, number>;
  /** sockets whose join is under way: their links hold what arrives */
  joining: Set<Session>;
  stream: RoomStream;
  /** the catch-up running (or waiting its turn) for this room */
  catchingUp?: Promise<void>;
  /** set by a broker reconnect until asked: whether each user with sockets here is still a member (a removal published meanwhile was lost) */
  recheck?: NotMember;
}

/** Told of a user who is no longer a member of a room where they have sockets here. */
export type NotMember = (roomId: string, userId: string) => void;

export interface RoomHubDeps {
  feed: Pick<RoomFeed, 'bindRoom' | 'unbindRoom'>;
  router: Pick<RouterClient, 'join'>;
  topics: TopicPublisher;
  metrics: GatewayMetrics;
  /** a joining socket holding more than this reads too slowly and is closed */
  holdLimitBytes: number;
  /** how long a room's catch-up may take before its frames go on with the gap, and the pause between its rounds */
  catchUp?: { deadlineMs: number; retryMs: number };
}

/** At most this many rooms ask the routers for missed messages at once (after a reconnect, all do). */
const CATCH_UP_CONCURRENCY = 16;
/**
 * A catch-up that has not filled its gap after this long (no router answered, or the answers never held
 * the missing messages) lets its frames through with the gap; between rounds it waits CATCH_UP_RETRY_MS.
 */
const CATCH_UP = { deadlineMs: 15_000, retryMs: 500 };
/** ... or that holds this many frames meanwhile */
const CATCH_UP_MAX_WAITING = 1000;

export const roomTopic = (roomId: string) => `room/${roomId}`;

export type FrameKind = 'message' | 'read' | 'typing';
export const frameKind = (frame: RoomFrame): FrameKind =>
  frame.seq !== undefined ? 'message' : frame.userId !== undefined ? 'typing' : 'read';

export class RoomHub {
  private readonly rooms = new Map<string, HubRoom>();
  /** catch-ups running; the ones beyond the limit wait in `queued` */
  private catchingUp = 0;
  private readonly queued: Array<() => void> = [];

  constructor(private readonly deps: RoomHubDeps) {}

  /** Takes a reference on the room's binding; resolves once room traffic reaches this gateway. */
  async retain(roomId: string): Promise<void> {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = {
        refs: 0,
        bound: this.deps.feed.bindRoom(roomId),
        live: new Set(),
        ahead: new Map(),
        joining: new Set(),
        stream: new RoomStream(),
      };
      // A failed bind is reported to the joins awaiting it; the entry goes with their releases.
      room.bound.catch(() => undefined);
      this.rooms.set(roomId, room);
      this.deps.metrics.roomsBound.set(this.rooms.size);
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
    this.deps.metrics.roomsBound.set(this.rooms.size);
    this.deps.feed.unbindRoom(roomId).catch(() => undefined);
  }

  /** The socket's join of the room starts (again): its link holds the room's frames until it goes live. */
  joining(roomId: string, session: Session): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    this.leave(roomId, session);
    room.joining.add(session);
  }

  /**
   * The socket's join wrote everything up to `position`: it reads the room's topic from now on, or, when
   * its join read messages the topic has not carried yet, gets the frames after `position` one by one
   * until the topic has caught up with it.
   */
  goLive(roomId: string, session: Session, position: number): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.joining.delete(session);
    room.stream.startAfter(position);
    if (position > (room.stream.last ?? 0)) room.ahead.set(session, position);
    else this.subscribe(roomId, room, session);
  }

  /** No more room traffic for the socket. */
  leave(roomId: string, session: Session): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    if (room.live.delete(session) && !session.closed) session.socket.unsubscribe(roomTopic(roomId));
    room.ahead.delete(session);
    room.joining.delete(session);
  }

  /** The local sockets that joined or are joining the room. */
  sessionsIn(roomId: string): Session[] {
    const room = this.rooms.get(roomId);
    return room ? [...room.live, ...room.ahead.keys(), ...room.joining] : [];
  }

  /** A room frame from the feed: forwarded in seq order, dropped as a duplicate, or held while messages before it are fetched. */
  deliver(frame: RoomFrame): void {
    const room = this.rooms.get(frame.roomId);
    if (!room) return; // arrived after the last local socket left
    const { offer, startedCatchUp } = room.stream.offer(frame);
    if (offer === 'duplicate') this.deps.metrics.duplicatesDropped.inc();
    else if (offer === 'forward') this.forward(frame.roomId, room, frame);
    else if (startedCatchUp) void this.catchUp(frame.roomId, room);
  }

  /**
   * After a broker reconnect (the gateway's queue is new: whatever was published meanwhile is lost for
   * it, removals from rooms included): every room with sockets holds its frames, asks a router for the
   * messages after the last one it forwarded, and asks whether each user with sockets there is still a
   * member; `notMember` is told at once of each who is not, before anything more goes to the room.
   * Resolves, with the number of rooms, once every room caught up.
   */
  async resync(notMember: NotMember): Promise<number> {
    const started: Promise<void>[] = [];
    for (const [roomId, room] of this.rooms) {
      if (this.sessionsIn(roomId).length === 0) continue;
      if (room.stream.last === undefined) {
        // Nothing forwarded yet: joins answered before the outage resume after what their answer covered.
        const covered = [...room.joining].flatMap((s) => s.rooms.get(roomId)?.answeredUpTo ?? []);
        if (covered.length > 0) room.stream.startAfter(Math.min(...covered));
      }
      room.recheck = notMember;
      room.stream.catchUp();
      started.push(this.catchUp(roomId, room));
    }
    await Promise.all(started);
    return started.length;
  }

  /** The room's catch-up: started unless one runs (it then does one more round). */
  private catchUp(roomId: string, room: HubRoom): Promise<void> {
    room.catchingUp ??= this.turn(() => this.catchUpRounds(roomId, room)).finally(() => {
      room.catchingUp = undefined;
      // asked for after the last round looked
      if (this.rooms.get(roomId) === room && (room.stream.catchingUp || room.recheck)) void this.catchUp(roomId, room);
    });
    return room.catchingUp;
  }

  /** Rounds of asking a router for the messages after the stream's last, until nothing is missing. */
  private async catchUpRounds(roomId: string, room: HubRoom): Promise<void> {
    const { metrics, catchUp = CATCH_UP } = this.deps;
    const deadline = performance.now() + catchUp.deadlineMs;
    const pause = () => new Promise((r) => setTimeout(r, catchUp.retryMs));
    while (this.rooms.get(roomId) === room && (room.stream.catchingUp || room.recheck)) {
      const notMember = room.recheck;
      room.recheck = undefined;
      const afterSeq = room.stream.catchingUp ? (room.stream.roundStarted() ?? 0) : undefined;
      const { missed, unreachable } = await this.ask(roomId, afterSeq, notMember);
      if (this.rooms.get(roomId) !== room || afterSeq === undefined) continue;
      const waitMore = performance.now() < deadline && room.stream.waitingCount <= CATCH_UP_MAX_WAITING;
      if (!missed && unreachable && waitMore) {
        await pause();
        continue;
      }
      // Without the messages (no router, no member left to ask as, only the newest of very many, or
      // answers that never held them) the frames go on with the gap: the clients join again to fill it.
      const giveUp = !missed || missed.truncated || !waitMore;
      for (const frame of room.stream.resume(missed?.frames ?? [], giveUp)) this.forward(roomId, room, frame);
      if (giveUp) metrics.catchUps.inc({ outcome: 'gave_up' });
      else if (!room.stream.catchingUp) metrics.catchUps.inc({ outcome: 'filled' });
      // The answer did not reach the frames waiting (their messages were stored after it read): ask again
      // shortly rather than at once, so a gap that never fills costs a few asks, not a busy loop.
      else if (!room.recheck) await pause();
    }
  }

  /**
   * Asks a router, as a user with sockets here, for the stored messages after `afterSeq` and, with
   * `notMember`, whether each user with sockets here is still a member (told at once of each who is not):
   * one request per room, whose answer lists the members, unless the user asked as is no longer one (then
   * as the next). After a broker reconnect every room asks at once, so a request per user (each a few
   * store reads at the router) would multiply the catch-up's time by the room's size. `unreachable` when
   * a router did not answer.
   */
  private async ask(roomId: string, afterSeq: number | undefined, notMember: NotMember | undefined) {
    let missed: { frames: RoomFrame[]; truncated: boolean } | undefined;
    let unreachable = false;
    const users = [...new Set(this.sessionsIn(roomId).map((s) => s.userId))];
    const told = new Set<string>();
    const gone = (userId: string) => {
      if (told.has(userId)) return;
      told.add(userId);
      notMember?.(roomId, userId);
    };
    for (const userId of users) {
      try {
        const reply = await this.deps.router.join({
          kind: 'join',
          roomId,
          userId,
          ...(afterSeq !== undefined ? { afterSeq } : {}),
        });
        if (reply.ok) {
          if (afterSeq !== undefined) {
            const frames = reply.replay.map((m) => ({ roomId, seq: m.seq, bytes: Buffer.from(messageFrameJson(m)) }));
            missed = { frames, truncated: reply.truncated };
          }
          if (notMember) for (const user of users) if (!reply.members.includes(user)) gone(user);
          break;
        }
        if (reply.code === 'NOT_A_MEMBER') gone(userId);
        else unreachable = true;
      } catch {
        unreachable = true;
        break; // no router: asking the others would wait out the same deadline
      }
    }
    return { missed, unreachable };
  }

  /** A frame in stream order, to everyone in the room here. */
  private forward(roomId: string, room: HubRoom, frame: RoomFrame): void {
    const { metrics, topics } = this.deps;
    const kind = frameKind(frame);
    let sent = 0;
    if (frame.userId !== undefined) {
      // Typing skips the typist's own sockets, which a topic cannot do: write to each socket.
      for (const session of room.live)
        if (session.userId !== frame.userId && session.socket.send(frame.bytes)) sent += 1;
    } else {
      sent += topics.publish(roomTopic(roomId), frame.bytes);
    }
    for (const [session, position] of room.ahead) {
      if (frame.seq === undefined) {
        if (session.userId !== frame.userId && session.socket.send(frame.bytes)) sent += 1;
      } else if (frame.seq > position) {
        if (session.socket.send(frame.bytes)) sent += 1;
        room.ahead.set(session, frame.seq);
      }
    }
    metrics.framesOut.inc({ type: kind }, sent);
    // Sockets ahead of the topic read it once it carried their position (this frame went to them already).
    const carried = frame.seq;
    if (carried !== undefined)
      for (const [session, position] of room.ahead) if (position <= carried) this.subscribe(roomId, room, session);
    for (const session of room.joining) this.hold(roomId, session, frame);
    if (frame.sentAt !== undefined) metrics.sendToDeliver.observe(secondsSince(frame.sentAt));
    if (frame.storedAt !== undefined) metrics.hopLatency.observe({ hop: 'delivery' }, secondsSince(frame.storedAt));
  }

  private subscribe(roomId: string, room: HubRoom, session: Session): void {
    room.ahead.delete(session);
    room.live.add(session);
    session.socket.subscribe(roomTopic(roomId));
  }

  /** A frame for a socket still joining: its link holds it; a socket that reads too slowly is closed. */
  private hold(roomId: string, session: Session, frame: RoomFrame): void {
    const link = session.rooms.get(roomId);
    if (!link || link.phase === 'live') return;
    if (link.hold(frame) > this.deps.holdLimitBytes) {
      this.deps.metrics.closes.inc({ reason: 'slow_reader' });
      session.socket.end(CloseCode.POLICY_VIOLATION, 'send buffer full');
    }
  }

  /** Runs `work` when fewer than CATCH_UP_CONCURRENCY others run; the rest wait their turn, in order. */
  private async turn(work: () => Promise<void>): Promise<void> {
    if (this.catchingUp < CATCH_UP_CONCURRENCY) this.catchingUp += 1;
    else await new Promise<void>((resolve) => this.queued.push(resolve));
    try {
      await work();
    } finally {
      const next = this.queued.shift();
      if (next) next();
      else this.catchingUp -= 1;
    }
  }
}
