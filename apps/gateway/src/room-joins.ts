/**
 * Joining and leaving rooms (SPEC §4 `join`, `leave`, `removed`; docs/internals.md "Join and resume"):
 * the one place that creates, drives and drops the sockets' room links. A join binds the room (hub),
 * asks a router, watches the members' presence, then writes `joined`, the replay and the live frames
 * held meanwhile (room-link.ts) and subscribes the socket, so nothing is missed or doubled. Live frames
 * reach a joining socket's link only through `hold`.
 */
import { CloseCode, type JoinFrame, type JoinReply, WsErrorCode } from '@coffeechat/contracts';
import { activeTraceContext, withTraceContext } from '@coffeechat/telemetry';
import type { JoinRefusals } from './join-refusals.js';
import type { GatewayMetrics } from './metrics.js';
import type { PresenceView } from './presence-view.js';
import { planJoin } from './replay-merge.js';
import { contextOf, type Replies } from './replies.js';
import type { RoomFrame } from './room-feed.js';
import { type RoomHub, roomTopic } from './room-hub.js';
import { RoomLink } from './room-link.js';
import type { RouterClient } from './router-client.js';
import { removedFrame } from './server-frames.js';
import type { Session } from './session.js';

export interface RoomJoinsDeps {
  hub: RoomHub;
  router: Pick<RouterClient, 'join'>;
  refusals: JoinRefusals;
  presence: PresenceView;
  replies: Replies;
  metrics: GatewayMetrics;
  /** a replay is written only while the socket has less than this waiting */
  replayLowWaterBytes: number;
  /** a joining socket holding more than this reads too slowly and is closed */
  holdLimitBytes: number;
  /** rooms a connection may have joined or be joining; the next join is RATE_LIMITED */
  maxRoomsPerConnection: number;
}

export class RoomJoins {
  /** per room: the sockets whose link is not live yet (they hold the room's live frames) */
  private readonly joining = new Map<string, Set<Session>>();

  constructor(private readonly deps: RoomJoinsDeps) {}

  async join(session: Session, frame: JoinFrame): Promise<void> {
    const { hub, refusals, replies } = this.deps;
    const { roomId } = frame;
    const context = contextOf(frame);
    const trace = activeTraceContext();
    const current = session.rooms.get(roomId);
    if (current && current.phase !== 'live') {
      return replies.fail(session, WsErrorCode.BAD_REQUEST, 'a join of this room is already in progress', context);
    }
    if (!current && session.rooms.size >= this.deps.maxRoomsPerConnection) {
      const max = this.deps.maxRoomsPerConnection;
      return replies.fail(session, WsErrorCode.RATE_LIMITED, `at most ${max} rooms per connection`, context);
    }
    if (refusals.refused(roomId, session.userId)) {
      return replies.fail(session, WsErrorCode.NOT_A_MEMBER, 'not a member of this room', context);
    }
    const link = new RoomLink();
    session.rooms.set(roomId, link);
    let bound: Promise<void>;
    if (current) {
      // Joining again re-synchronizes: leave the live topic and merge a fresh replay.
      session.socket.unsubscribe(roomTopic(roomId));
      hub.removeLive(roomId, session);
      bound = Promise.resolve();
    } else {
      bound = hub.retain(roomId);
    }
    this.joiningIn(roomId).add(session);
    let reply: JoinReply;
    try {
      await bound;
      reply = await withTraceContext(trace, () =>
        this.deps.router.join({
          kind: 'join',
          roomId,
          userId: session.userId,
          ...(frame.afterSeq !== undefined ? { afterSeq: frame.afterSeq } : {}),
        }),
      );
    } catch (err) {
      if (session.rooms.get(roomId) !== link) return; // left or closed meanwhile
      this.leave(session, roomId);
      return replies.failWith(session, err, context);
    }
    if (session.rooms.get(roomId) !== link) return;
    if (!reply.ok) {
      this.leave(session, roomId);
      if (reply.code === WsErrorCode.NOT_A_MEMBER) refusals.rememberRefusal(roomId, session.userId);
      return replies.fail(session, reply.code, reply.message, context);
    }
    // Watch the members before answering, so `joined.presence` is current and later changes follow.
    await this.deps.presence.watch(session, roomId, reply.members);
    if (session.rooms.get(roomId) !== link) return;
    const plan = planJoin(reply, frame, this.deps.presence);
    link.answered(plan);
    this.deps.metrics.framesOut.inc({ type: 'joined' });
    this.deps.metrics.framesOut.inc({ type: 'message' }, plan.frames.length - 1);
    this.pump(session, roomId, link);
  }

  /** Ends the socket's link to a room: no more room traffic on it. */
  leave(session: Session, roomId: string): void {
    const link = session.rooms.get(roomId);
    if (!link) return;
    session.rooms.delete(roomId);
    if (link.phase === 'live' && !session.closed) session.socket.unsubscribe(roomTopic(roomId));
    this.deps.presence.unwatch(session, roomId);
    this.detach(session, roomId);
  }

  /** A live frame the hub accepted: each socket still joining the room holds it. */
  hold(frame: RoomFrame): void {
    for (const session of this.joining.get(frame.roomId) ?? []) {
      const link = session.rooms.get(frame.roomId);
      if (!link || link.phase === 'live') continue;
      if (link.hold(frame) > this.deps.holdLimitBytes) {
        this.deps.metrics.closes.inc({ reason: 'slow_reader' });
        session.socket.end(CloseCode.POLICY_VIOLATION, 'send buffer full');
      }
    }
  }

  /** The socket can take more: continue the replays waiting for it. */
  drain(session: Session): void {
    for (const [roomId, link] of session.rooms) if (link.phase === 'replaying') this.pump(session, roomId, link);
  }

  /** `membership.removed` (or a resync found it): that user's sockets leave the room at once and are told. */
  removed(roomId: string, userId: string): void {
    const sessions = [...this.deps.hub.liveIn(roomId), ...(this.joining.get(roomId) ?? [])];
    for (const session of sessions) {
      if (session.userId !== userId) continue;
      this.leave(session, roomId);
      this.deps.replies.write(session, removedFrame(roomId), 'removed');
    }
  }

  /** The connection closed: its rooms are let go (presence forgets the session as a whole). */
  closed(session: Session): void {
    for (const roomId of session.rooms.keys()) this.detach(session, roomId);
    session.rooms.clear();
  }

  /**
   * Writes the rest of a join's answer while the client keeps up; the last step (held live frames,
   * then the topic subscription) runs in one tick so nothing falls between replay and live traffic.
   */
  private pump(session: Session, roomId: string, link: RoomLink): void {
    const { socket } = session;
    socket.cork(() => {
      if (!link.pump(socket, this.deps.replayLowWaterBytes, session.userId)) return;
      socket.subscribe(roomTopic(roomId));
      this.notJoining(session, roomId);
      this.deps.hub.addLive(roomId, session);
    });
  }

  private detach(session: Session, roomId: string): void {
    this.notJoining(session, roomId);
    this.deps.hub.removeLive(roomId, session);
    this.deps.hub.release(roomId);
  }

  private notJoining(session: Session, roomId: string): void {
    const joining = this.joining.get(roomId);
    joining?.delete(session);
    if (joining?.size === 0) this.joining.delete(roomId);
  }

  private joiningIn(roomId: string): Set<Session> {
    let sessions = this.joining.get(roomId);
    if (!sessions) {
      sessions = new Set();
      this.joining.set(roomId, sessions);
    }
    return sessions;
  }
}
