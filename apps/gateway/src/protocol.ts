/**
 * The WebSocket protocol of SPEC §4 for one gateway, at the door: a connection's life (hello, close),
 * each client frame checked (size, binary, JSON and schema, the bad-frame budget) and handed to the
 * module that owns what it asks for: joins and leaves to `room-joins.ts`, sends to `sends-in-flight.ts`;
 * typing, read markers and pings are answered here. Knows neither uWS nor RabbitMQ. The gateway runs
 * without async context propagation (instrument.ts): a frame's trace context is carried past its awaits
 * by hand (`activeTraceContext` before, `withTraceContext` around the publish).
 */
import { type ClientFrame, CloseCode, parseClientFrame, type ReadFrame, WsErrorCode } from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import { activeTraceContext, withTraceContext } from '@coffeechat/telemetry';
import { judgeFrame, tooManyBadFrames } from './frame-guard.js';
import { traceFrame } from './frame-span.js';
import type { GatewayMetrics } from './metrics.js';
import type { PresenceView } from './presence-view.js';
import type { ConnectionBudgets } from './rate-limits.js';
import { contextOf, type Replies } from './replies.js';
import type { RoomFeed } from './room-feed.js';
import type { RoomJoins } from './room-joins.js';
import type { RouterClient } from './router-client.js';
import type { SendsInFlight } from './sends-in-flight.js';
import { helloFrame, leftFrame, pongFrame, typingFrame } from './server-frames.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './sessions.js';

export interface ProtocolDeps {
  sessions: SessionRegistry;
  joins: RoomJoins;
  sends: SendsInFlight;
  feed: Pick<RoomFeed, 'publishTyping'>;
  router: Pick<RouterClient, 'publishRead'>;
  budgets: ConnectionBudgets;
  presence: PresenceView;
  replies: Replies;
  metrics: GatewayMetrics;
  logger: Logger;
  heartbeatSec: number;
}

const decoder = new TextDecoder('utf-8');

export class ChatProtocol {
  constructor(private readonly deps: ProtocolDeps) {}

  open(session: Session): void {
    this.deps.sessions.add(session);
    this.deps.presence.opened(session);
    this.deps.replies.write(session, helloFrame(session.userId, session.connId, this.deps.heartbeatSec), 'hello');
  }

  /** One frame from the client; the ArrayBuffer is only valid during this call. */
  receive(session: Session, data: ArrayBuffer, isBinary: boolean): void {
    const { metrics, replies } = this.deps;
    const verdict = judgeFrame(data.byteLength, isBinary);
    if (verdict.kind === 'close') {
      metrics.framesIn.inc({ type: 'invalid' });
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
      metrics.framesIn.inc({ type: 'invalid' });
      replies.fail(session, WsErrorCode.BAD_REQUEST, parsed.message, parsed.id !== undefined ? { id: parsed.id } : {});
      void this.deps.budgets.take('badFrame', session.connId).then((ok) => {
        if (!ok) this.end(session, tooManyBadFrames.code, tooManyBadFrames.reason, 'bad_frames');
      });
      return;
    }
    metrics.framesIn.inc({ type: parsed.frame.type });
    traceFrame(parsed.frame, () => this.dispatch(session, parsed.frame)).catch((err: unknown) => {
      this.deps.logger.error({ err, connId: session.connId, type: parsed.frame.type }, 'frame handling failed');
      replies.fail(session, WsErrorCode.INTERNAL, 'internal error', contextOf(parsed.frame));
    });
  }

  /** The socket can take more: continue replays that were waiting for it. */
  drain(session: Session): void {
    this.deps.joins.drain(session);
  }

  closed(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    this.deps.sessions.remove(session);
    this.deps.joins.closed(session);
    this.deps.sends.closed(session);
    this.deps.budgets.forget(session.connId);
    this.deps.presence.closed(session);
  }

  /** Graceful shutdown: a closing handshake for every socket. */
  closeAll(code: number, reason: string): void {
    this.deps.sends.stop();
    for (const session of this.deps.sessions.all()) this.end(session, code, reason, 'shutdown');
  }

  private async dispatch(session: Session, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'join':
        return this.deps.joins.join(session, frame);
      case 'leave':
        this.deps.joins.leave(session, frame.roomId);
        this.deps.replies.write(session, leftFrame(frame.roomId, frame.id), 'left');
        return;
      case 'send':
        return this.deps.sends.send(session, frame);
      case 'typing':
        return this.typing(session, frame);
      case 'read':
        return this.read(session, frame);
      case 'ping':
        this.deps.replies.write(session, pongFrame(frame.id), 'pong');
        return;
    }
  }

  private async typing(session: Session, frame: Extract<ClientFrame, { type: 'typing' }>): Promise<void> {
    const { replies } = this.deps;
    const { roomId } = frame;
    const context = contextOf(frame);
    const trace = activeTraceContext();
    if (!session.rooms.has(roomId))
      return replies.fail(session, WsErrorCode.NOT_JOINED, 'join the room first', context);
    if (!(await this.deps.budgets.take('typing', session.connId))) {
      return replies.fail(session, WsErrorCode.RATE_LIMITED, 'too many typing frames', context);
    }
    try {
      await withTraceContext(trace, () =>
        this.deps.feed.publishTyping(roomId, session.userId, typingFrame(roomId, session.userId)),
      );
    } catch (err) {
      replies.failWith(session, err, context);
    }
  }

  private async read(session: Session, frame: ReadFrame): Promise<void> {
    const context = contextOf(frame);
    if (!session.rooms.has(frame.roomId))
      return this.deps.replies.fail(session, WsErrorCode.NOT_JOINED, 'join the room first', context);
    try {
      await this.deps.router.publishRead({ roomId: frame.roomId, userId: session.userId, seq: frame.seq });
    } catch (err) {
      this.deps.replies.failWith(session, err, context);
    }
  }

  private end(session: Session, code: number, reason: string, label: string): void {
    if (session.closed) return;
    this.deps.metrics.closes.inc({ reason: label });
    session.socket.end(code, reason);
    this.closed(session);
  }
}
