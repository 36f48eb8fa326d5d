/**
 * The WebSocket protocol of SPEC §4 for one gateway: what each client frame does, and how the
 * backend's frames reach the sockets. Talks to sockets through `ClientSocket` and to the rest of
 * CoffeeChat through `ChatBackend`; knows neither uWS nor RabbitMQ.
 */
import {
  type ClientFrame,
  CloseCode,
  CodedError,
  type JoinFrame,
  type MembershipEvent,
  parseClientFrame,
  type ReadFrame,
  type SendFrame,
  WsErrorCode,
} from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import { activeTraceContext, withTraceContext } from '@coffeechat/telemetry';
import { type ChatBackend, type ConnFrame, type RoomFrame, UnconfirmedPublish } from './chat-backend.js';
import { judgeFrame, tooManyBadFrames } from './frame-guard.js';
import { traceFrame } from './frame-span.js';
import type { MembershipCache } from './membership-cache.js';
import type { GatewayMetrics } from './metrics.js';
import type { PresenceView } from './presence-view.js';
import type { ConnectionBudgets } from './rate-limits.js';
import { liveFramesAfter, planJoin } from './replay-merge.js';
import { type RoomHub, roomTopic } from './room-hub.js';
import {
  ackFrame,
  type ErrorContext,
  errorFrame,
  helloFrame,
  leftFrame,
  pongFrame,
  removedFrame,
  typingFrame,
} from './server-frames.js';
import { RoomLink, type SendInFlight, type Session } from './session.js';

export interface ProtocolDeps {
  backend: ChatBackend;
  hub: RoomHub;
  budgets: ConnectionBudgets;
  membership: MembershipCache;
  presence: PresenceView;
  metrics: GatewayMetrics;
  logger: Logger;
  heartbeatSec: number;
  /** a replay is written only while the socket has less than this waiting */
  replayLowWaterBytes: number;
  /**
   * sends of all connections published and not yet acked; past it a send is answered UNAVAILABLE at
   * once, so an overload sheds work at the door instead of queueing without bound
   */
  maxSendsInFlight: number;
}

const decoder = new TextDecoder('utf-8');
/** sends of one connection awaiting their ack; more are refused (RATE_LIMITED) until acks come */
const MAX_SENDS_IN_FLIGHT_PER_CONNECTION = 1000;
/** after this long a send's ack is no longer awaited: the room's binding it held is given back */
const SEND_ACK_DEADLINE_MS = 60_000;

export class ChatProtocol {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;
  /** sends awaiting their ack, over every connection */
  private sendsInFlight = 0;

  constructor(private readonly deps: ProtocolDeps) {
    this.sweeper = setInterval(() => this.expireSends(), SEND_ACK_DEADLINE_MS / 4);
    this.sweeper.unref();
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  open(session: Session): void {
    this.sessions.set(session.connId, session);
    this.deps.metrics.connections.set(this.sessions.size);
    this.deps.presence.opened(session);
    this.write(session, helloFrame(session.userId, session.connId, this.deps.heartbeatSec), 'hello');
  }

  /** One frame from the client; the ArrayBuffer is only valid during this call. */
  receive(session: Session, data: ArrayBuffer, isBinary: boolean): void {
    const verdict = judgeFrame(data.byteLength, isBinary);
    if (verdict.kind === 'close') {
      this.deps.metrics.framesIn.inc({ type: 'invalid' });
      this.end(
        session,
        verdict.code,
        verdict.reason,
        verdict.code === CloseCode.MESSAGE_TOO_BIG ? 'too_big' : 'binary',
      );
      return;
    }
    const parsed = parseClientFrame(decoder.decode(data));
    if (!parsed.ok) {
      this.deps.metrics.framesIn.inc({ type: 'invalid' });
      this.fail(session, WsErrorCode.BAD_REQUEST, parsed.message, parsed.id !== undefined ? { id: parsed.id } : {});
      void this.deps.budgets.take('badFrame', session.connId).then((ok) => {
        if (!ok) this.end(session, tooManyBadFrames.code, tooManyBadFrames.reason, 'bad_frames');
      });
      return;
    }
    this.deps.metrics.framesIn.inc({ type: parsed.frame.type });
    traceFrame(parsed.frame, () => this.dispatch(session, parsed.frame)).catch((err: unknown) => {
      this.deps.logger.error({ err, connId: session.connId, type: parsed.frame.type }, 'frame handling failed');
      this.fail(session, WsErrorCode.INTERNAL, 'internal error', contextOf(parsed.frame));
    });
  }

  /** The socket can take more: continue replays that were waiting for it. */
  drain(session: Session): void {
    for (const [roomId, link] of session.rooms) if (link.phase === 'replaying') this.pump(session, roomId, link);
  }

  closed(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session.connId);
    this.deps.metrics.connections.set(this.sessions.size);
    for (const roomId of session.rooms.keys()) {
      this.deps.hub.detach(roomId, session);
      this.deps.hub.release(roomId);
    }
    session.rooms.clear();
    for (const key of [...session.sendsInFlight.keys()]) this.settleSend(session, key);
    this.deps.budgets.forget(session.connId);
    this.deps.presence.closed(session);
  }

  /** Graceful shutdown: a closing handshake for every socket. */
  closeAll(code: number, reason: string): void {
    clearInterval(this.sweeper);
    for (const session of [...this.sessions.values()]) this.end(session, code, reason, 'shutdown');
  }

  /** A room frame from the broker: to the room's sockets, and, when it answers a local send, its ack. */
  roomFrame(frame: RoomFrame): void {
    this.deps.hub.deliver(frame);
    const answer = frame.answers;
    if (!answer || frame.seq === undefined || frame.storedAt === undefined) return;
    const session = this.sessions.get(answer.connId);
    if (!session || session.closed) return;
    this.settleSend(session, sendKey(frame.roomId, answer.clientMsgId));
    const ack = ackFrame({
      ...(answer.frameId !== undefined ? { id: answer.frameId } : {}),
      roomId: frame.roomId,
      clientMsgId: answer.clientMsgId,
      seq: frame.seq,
      ts: frame.storedAt,
    });
    this.write(session, ack, 'ack');
  }

  /** The router's `error` (or, from a router of an older release, `ack`) for one connection, forwarded as is. */
  connFrame(frame: ConnFrame): void {
    const session = this.sessions.get(frame.connId);
    if (!session || session.closed) return;
    const head = peekConnFrame(frame.bytes);
    if (head.roomId !== undefined && head.clientMsgId !== undefined)
      this.settleSend(session, sendKey(head.roomId, head.clientMsgId));
    if (head.type === 'error' && head.code !== undefined) this.deps.metrics.errors.inc({ code: head.code });
    if (session.socket.send(frame.bytes))
      this.deps.metrics.framesOut.inc({ type: head.type === 'ack' ? 'ack' : 'error' });
  }

  membership(event: MembershipEvent): void {
    this.deps.membership.invalidate(event.roomId, event.userId);
    if (event.kind !== 'removed') return;
    for (const session of this.deps.hub.sessionsIn(event.roomId)) {
      if (session.userId !== event.userId) continue;
      this.dropLink(session, event.roomId);
      this.write(session, removedFrame(event.roomId), 'removed');
    }
  }

  // ---- client frames ----

  private async dispatch(session: Session, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'join':
        return this.join(session, frame);
      case 'leave':
        this.dropLink(session, frame.roomId);
        this.write(session, leftFrame(frame.roomId, frame.id), 'left');
        return;
      case 'send':
        return this.send(session, frame);
      case 'typing':
        return this.typing(session, frame.roomId, frame.id);
      case 'read':
        return this.read(session, frame);
      case 'ping':
        this.write(session, pongFrame(frame.id), 'pong');
        return;
    }
  }

  private async join(session: Session, frame: JoinFrame): Promise<void> {
    const { roomId } = frame;
    const context = contextOf(frame);
    const trace = activeTraceContext();
    const current = session.rooms.get(roomId);
    if (current && current.phase !== 'live') {
      return this.fail(session, WsErrorCode.BAD_REQUEST, 'a join of this room is already in progress', context);
    }
    if (this.deps.membership.refused(roomId, session.userId)) {
      return this.fail(session, WsErrorCode.NOT_A_MEMBER, 'not a member of this room', context);
    }
    const link = new RoomLink(frame.id);
    session.rooms.set(roomId, link);
    let bound: Promise<void>;
    if (current) {
      // Joining again re-synchronizes: leave the live topic and merge a fresh replay.
      session.socket.unsubscribe(roomTopic(roomId));
      this.deps.hub.markJoining(roomId, session);
      bound = Promise.resolve();
    } else {
      bound = this.deps.hub.retain(roomId);
      this.deps.hub.markJoining(roomId, session);
    }
    let reply: Awaited<ReturnType<ChatBackend['join']>>;
    try {
      await bound;
      reply = await withTraceContext(trace, () =>
        this.deps.backend.join({
          kind: 'join',
          roomId,
          userId: session.userId,
          ...(frame.afterSeq !== undefined ? { afterSeq: frame.afterSeq } : {}),
        }),
      );
    } catch (err) {
      if (session.rooms.get(roomId) !== link) return; // left or closed meanwhile
      this.dropLink(session, roomId);
      return this.failWith(session, err, context);
    }
    if (session.rooms.get(roomId) !== link) return;
    if (!reply.ok) {
      this.dropLink(session, roomId);
      if (reply.code === WsErrorCode.NOT_A_MEMBER) this.deps.membership.rememberRefusal(roomId, session.userId);
      return this.fail(session, reply.code, reply.message, context);
    }
    // Watch the members before answering, so `joined.presence` is current and later changes follow.
    await this.deps.presence.watch(session, roomId, reply.members);
    if (session.rooms.get(roomId) !== link) return;
    const plan = planJoin(reply, frame, this.deps.presence);
    link.phase = 'replaying';
    link.pending = plan.frames;
    link.resumeAfter = plan.resumeAfter;
    this.deps.metrics.framesOut.inc({ type: 'joined' });
    this.deps.metrics.framesOut.inc({ type: 'message' }, plan.frames.length - 1);
    this.pump(session, roomId, link);
  }

  /**
   * Writes the rest of a join's answer while the client keeps up; the final step (held live frames,
   * then the topic subscription) runs in one tick so nothing falls between replay and live traffic.
   */
  private pump(session: Session, roomId: string, link: RoomLink): void {
    const { socket } = session;
    socket.cork(() => {
      while (link.next < link.pending.length) {
        const frame = link.pending[link.next];
        link.pending[link.next] = '';
        link.next += 1;
        if (frame !== undefined && !socket.send(frame)) return;
        // The client is behind: continue on the socket's drain event.
        if (link.next < link.pending.length && socket.bufferedAmount() > this.deps.replayLowWaterBytes) return;
      }
      const live = liveFramesAfter(link.buffer, link.resumeAfter, session.userId);
      for (const bytes of live.frames) {
        if (!socket.send(bytes)) return;
      }
      link.position = live.position;
      link.buffer = [];
      link.pending = [];
      link.phase = 'live';
      socket.subscribe(roomTopic(roomId));
      this.deps.hub.markLive(roomId, session);
    });
  }

  private async send(session: Session, frame: SendFrame): Promise<void> {
    const context = contextOf(frame);
    const trace = activeTraceContext();
    if (!session.rooms.has(frame.roomId))
      return this.fail(session, WsErrorCode.NOT_JOINED, 'join the room first', context);
    if (!(await this.deps.budgets.take('send', session.connId))) {
      return this.fail(session, WsErrorCode.RATE_LIMITED, 'too many sends', context);
    }
    if (session.closed) return;
    const key = sendKey(frame.roomId, frame.clientMsgId);
    // A resend of a send this connection has in flight: the broker has it (or will answer), its ack
    // will come. Publishing it again would only queue a duplicate behind it, which is what an
    // overloaded router can least afford.
    if (session.sendsInFlight.has(key)) {
      this.deps.metrics.resendsAbsorbed.inc();
      return;
    }
    if (session.sendsInFlight.size >= MAX_SENDS_IN_FLIGHT_PER_CONNECTION)
      return this.fail(session, WsErrorCode.RATE_LIMITED, 'too many sends awaiting their ack', context);
    if (this.sendsInFlight >= this.deps.maxSendsInFlight) {
      this.deps.metrics.shed.inc();
      return this.fail(
        session,
        WsErrorCode.UNAVAILABLE,
        'too many messages waiting to be stored; retry later',
        context,
      );
    }
    // The ack rides on the room's message frame: the room's binding stays until it came, even if the
    // socket leaves the room meanwhile.
    this.deps.hub.retain(frame.roomId).catch(() => undefined);
    session.sendsInFlight.set(key, { roomId: frame.roomId, startedAt: performance.now() });
    this.sendsInFlight += 1;
    this.deps.metrics.sendsInFlight.set(this.sendsInFlight);
    try {
      await withTraceContext(trace, () =>
        this.deps.backend.publishSend({
          roomId: frame.roomId,
          senderId: session.userId,
          clientMsgId: frame.clientMsgId,
          body: frame.body,
          ...(frame.id !== undefined ? { id: frame.id } : {}),
          connId: session.connId,
          receivedAt: Date.now(),
        }),
      );
    } catch (err) {
      // Unconfirmed, the broker may have it: its ack may come, and a resend meanwhile is absorbed
      // (the entry goes at the ack, a broker reconnect or the deadline). Refused: a resend must go through.
      if (!(err instanceof UnconfirmedPublish)) this.settleSend(session, key);
      this.failWith(session, err, context);
    }
  }

  /** A send is answered (ack or error) or given up: its latency is recorded, its room's binding given back. */
  private settleSend(session: Session, key: string): void {
    const send = session.sendsInFlight.get(key);
    if (!send) return;
    this.forgetSend(session, key, send);
    this.deps.metrics.sendToAck.observe((performance.now() - send.startedAt) / 1000);
  }

  private forgetSend(session: Session, key: string, send: SendInFlight): void {
    session.sendsInFlight.delete(key);
    this.sendsInFlight -= 1;
    this.deps.metrics.sendsInFlight.set(this.sendsInFlight);
    this.deps.hub.release(send.roomId);
  }

  /**
   * Sends whose ack did not come within the deadline (the router was away) stop holding their rooms;
   * after a broker reconnect (`all`), every one: frames published while this gateway's queue was gone
   * are lost, acks included, so the clients' resends must go through again.
   */
  private expireSends(all = false): void {
    const before = all ? Number.POSITIVE_INFINITY : performance.now() - SEND_ACK_DEADLINE_MS;
    for (const session of this.sessions.values())
      for (const [key, send] of session.sendsInFlight) if (send.startedAt < before) this.forgetSend(session, key, send);
  }

  /** The broker connection came back (this gateway's queue is new): resend nothing is absorbed any more. */
  brokerRestored(): void {
    this.expireSends(true);
  }

  private async typing(session: Session, roomId: string, id: string | undefined): Promise<void> {
    const context = { roomId, ...(id !== undefined ? { id } : {}) };
    const trace = activeTraceContext();
    if (!session.rooms.has(roomId)) return this.fail(session, WsErrorCode.NOT_JOINED, 'join the room first', context);
    if (!(await this.deps.budgets.take('typing', session.connId))) {
      return this.fail(session, WsErrorCode.RATE_LIMITED, 'too many typing frames', context);
    }
    try {
      await withTraceContext(trace, () =>
        this.deps.backend.publishTyping(roomId, session.userId, typingFrame(roomId, session.userId)),
      );
    } catch (err) {
      this.failWith(session, err, context);
    }
  }

  private async read(session: Session, frame: ReadFrame): Promise<void> {
    const context = contextOf(frame);
    if (!session.rooms.has(frame.roomId))
      return this.fail(session, WsErrorCode.NOT_JOINED, 'join the room first', context);
    try {
      await this.deps.backend.publishRead({ roomId: frame.roomId, userId: session.userId, seq: frame.seq });
    } catch (err) {
      this.failWith(session, err, context);
    }
  }

  // ---- helpers ----

  /** Ends the socket's link to a room: no more room traffic on it. */
  private dropLink(session: Session, roomId: string): void {
    const link = session.rooms.get(roomId);
    if (!link) return;
    session.rooms.delete(roomId);
    if (link.phase === 'live' && !session.closed) session.socket.unsubscribe(roomTopic(roomId));
    this.deps.presence.unwatch(session, roomId);
    this.deps.hub.detach(roomId, session);
    this.deps.hub.release(roomId);
  }

  private write(session: Session, frame: string, type: string): void {
    if (session.closed) return;
    if (session.socket.send(frame)) this.deps.metrics.framesOut.inc({ type });
  }

  private fail(session: Session, code: WsErrorCode, message: string, context: ErrorContext): void {
    this.deps.metrics.errors.inc({ code });
    this.write(session, errorFrame(code, message, context), 'error');
  }

  private failWith(session: Session, err: unknown, context: ErrorContext): void {
    if (err instanceof CodedError && err.code === WsErrorCode.UNAVAILABLE) {
      this.fail(session, WsErrorCode.UNAVAILABLE, err.message, context);
    } else {
      this.deps.logger.error({ err, connId: session.connId }, 'backend call failed');
      this.fail(session, WsErrorCode.INTERNAL, 'internal error', context);
    }
  }

  private end(session: Session, code: number, reason: string, label: string): void {
    if (session.closed) return;
    this.deps.metrics.closes.inc({ reason: label });
    session.socket.end(code, reason);
    this.closed(session);
  }
}

const sendKey = (roomId: string, clientMsgId: string) => `${roomId}\u0000${clientMsgId}`;

function contextOf(frame: ClientFrame): ErrorContext {
  const context: ErrorContext = {};
  if (frame.id !== undefined) context.id = frame.id;
  if ('roomId' in frame) context.roomId = frame.roomId;
  if ('clientMsgId' in frame) context.clientMsgId = frame.clientMsgId;
  return context;
}

interface ConnFrameHead {
  type?: string;
  roomId?: string;
  clientMsgId?: string;
  code?: WsErrorCode;
}

/** Reads the few fields of an `ack`/`error` the gateway counts; the bytes themselves are forwarded unchanged. */
function peekConnFrame(bytes: Uint8Array): ConnFrameHead {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    if (typeof value !== 'object' || value === null) return {};
    const v = value as Record<string, unknown>;
    const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
    const code = str(v.code);
    return {
      type: str(v.type),
      roomId: str(v.roomId),
      clientMsgId: str(v.clientMsgId),
      code: code !== undefined && Object.hasOwn(WsErrorCode, code) ? (code as WsErrorCode) : undefined,
    };
  } catch {
    return {};
  }
}
