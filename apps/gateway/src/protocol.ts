/**
 * The WebSocket protocol of SPEC §4 for one gateway, at the door: a connection's life (hello, close),
 * each client frame checked (size, binary, JSON and schema, the bad-frame budget, the token's life, the
 * per-connection budgets) and handed to the module that owns what it asks for: joins and leaves to
 * `room-joins.ts`, sends to `sends-in-flight.ts`, refreshes to `token-lifetime.ts`; typing, read
 * markers and pings are answered here. Knows neither uWS nor RabbitMQ. The gateway runs
 * without async context propagation (instrument.ts): a frame's trace context is carried past its awaits
 * by hand (`activeTraceContext` before, `withTraceContext` around the publish).
 */
import { type ClientFrame, CloseCode, parseClientFrame, type ReadFrame, WsErrorCode } from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import { activeTraceContext, withTraceContext } from '@coffeechat/telemetry';
import { judgeFrame } from './frame-guard.js';
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
import type { TokenLifetimes } from './token-lifetime.js';

export interface ProtocolDeps {
  sessions: SessionRegistry;
  joins: RoomJoins;
  sends: SendsInFlight;
  feed: Pick<RoomFeed, 'publishTyping'>;
  router: Pick<RouterClient, 'publishRead'>;
  budgets: ConnectionBudgets;
  tokens: TokenLifetimes;
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
    this.deps.tokens.opened(session);
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
      // a bad frame: counted against the connection's budget by the reply
      replies.fail(session, WsErrorCode.BAD_REQUEST, parsed.message, parsed.id !== undefined ? { id: parsed.id } : {});
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
    this.deps.tokens.closed(session);
    this.deps.presence.closed(session);
  }

  /** Graceful shutdown: a closing handshake for every socket. */
  closeAll(code: number, reason: string): void {
    this.deps.sends.stop();
    for (const session of this.deps.sessions.all()) this.end(session, code, reason, 'shutdown');
  }

  private async dispatch(session: Session, frame: ClientFrame): Promise<void> {
    const { replies, budgets } = this.deps;
    if (session.tokenExpired && frame.type !== 'refresh' && frame.type !== 'ping') {
      return replies.fail(session, WsErrorCode.TOKEN_EXPIRED, 'token expired; refresh it', contextOf(frame));
    }
    switch (frame.type) {
      case 'join':
        if (!(await budgets.take('joinLeave', session.connId)))
          return replies.fail(session, WsErrorCode.RATE_LIMITED, 'too many joins and leaves', contextOf(frame));
        return this.deps.joins.join(session, frame);
      case 'leave':
        if (!(await budgets.take('joinLeave', session.connId)))
          return replies.fail(session, WsErrorCode.RATE_LIMITED, 'too many joins and leaves', contextOf(frame));
        this.deps.joins.leave(session, frame.roomId);
        replies.write(session, leftFrame(frame.roomId, frame.id), 'left');
        return;
      case 'send':
        return this.deps.sends.send(session, frame);
      case 'typing':
        return this.typing(session, frame);
      case 'read':
        return this.read(session, frame);
      case 'refresh':
        return this.deps.tokens.refresh(session, frame);
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
    if (!session.rooms.get(roomId)?.hasJoined)
      return replies.fail(session, WsErrorCode.NOT_JOINED, 'join the room first (wait for joined)', context);
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
    const { replies } = this.deps;
    const context = contextOf(frame);
    if (!session.rooms.get(frame.roomId)?.hasJoined)
      return replies.fail(session, WsErrorCode.NOT_JOINED, 'join the room first (wait for joined)', context);
    if (!(await this.deps.budgets.take('read', session.connId)))
      return replies.fail(session, WsErrorCode.RATE_LIMITED, 'too many read markers', context);
    if (session.closed) return;
    try {
      await this.deps.router.publishRead({ roomId: frame.roomId, userId: session.userId, seq: frame.seq });
    } catch (err) {
      replies.failWith(session, err, context);
    }
  }

  private end(session: Session, code: number, reason: string, label: string): void {
    if (session.closed) return;
    this.deps.metrics.closes.inc({ reason: label });
    session.socket.end(code, reason);
    this.closed(session);
  }
}
