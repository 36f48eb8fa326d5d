/**
 * Joining and leaving rooms (SPEC §4 `join`, `leave`, `removed`; docs/internals.md "Join and resume"):
 * the one place that creates, drives and drops the sockets' room links. A join binds the room (hub),
 * asks a router, watches the members' presence, then writes `joined`, the replay and the live frames
 * held meanwhile (room-link.ts) and has the hub take the socket live, so nothing is missed or doubled.
 * Live frames reach a joining socket's link only from the hub.
 */
import { type JoinFrame, type JoinReply, WsErrorCode } from '@coffeechat/contracts';
import { activeTraceContext, withTraceContext } from '@coffeechat/telemetry';
import type { JoinRefusals } from './join-refusals.js';
import type { GatewayMetrics } from './metrics.js';
import type { PresenceView } from './presence-view.js';
import { planJoin } from './replay-merge.js';
import { contextOf, type Replies } from './replies.js';
import type { RoomHub } from './room-hub.js';
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
  /** rooms a connection may have joined or be joining; the next join is RATE_LIMITED */
  maxRoomsPerConnection: number;
}

export class RoomJoins {
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
    // Joining again re-synchronizes: the socket leaves the live traffic and merges a fresh replay.
    const bound = current ? Promise.resolve() : hub.retain(roomId);
    hub.joining(roomId, session);
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
    if (!session.rooms.has(roomId)) return;
    session.rooms.delete(roomId);
    this.deps.presence.unwatch(session, roomId);
    this.detach(session, roomId);
  }

  /** The socket can take more: continue the replays waiting for it. */
  drain(session: Session): void {
    for (const [roomId, link] of session.rooms) if (link.phase === 'replaying') this.pump(session, roomId, link);
  }

  /** `membership.removed` (or a resync found it): that user's sockets leave the room at once and are told. */
  removed(roomId: string, userId: string): void {
    for (const session of this.deps.hub.sessionsIn(roomId)) {
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
   * then going live) runs in one tick so nothing falls between replay and live traffic.
   */
  private pump(session: Session, roomId: string, link: RoomLink): void {
    const { socket } = session;
    socket.cork(() => {
      if (!link.pump(socket, this.deps.replayLowWaterBytes, session.userId)) return;
      this.deps.hub.goLive(roomId, session, link.position);
    });
  }

  private detach(session: Session, roomId: string): void {
    this.deps.hub.leave(roomId, session);
    this.deps.hub.release(roomId);
  }
}
