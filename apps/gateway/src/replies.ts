/**
 * Writing the gateway's own frames to a socket, counted by type, and its error replies (SPEC §4): the
 * code, the message, and the request's `id`, `roomId`, `clientMsgId` echoed. A backend that cannot be
 * reached is the client's UNAVAILABLE; anything else is logged and answered INTERNAL. An answer that
 * says the client asked for what it may not (a bad frame, a room it is not a member of or has not
 * joined, a bad token) counts against the connection's bad-frame budget: past it the connection is
 * closed with 1008, so refusals cost a client as much as malformed frames.
 */
import { type ClientFrame, CodedError, WsErrorCode } from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import { tooManyBadFrames } from './frame-guard.js';
import type { GatewayMetrics } from './metrics.js';
import type { ConnectionBudgets } from './rate-limits.js';
import { type ErrorContext, errorFrame } from './server-frames.js';
import type { Session } from './session.js';

/** Codes that answer a client's mistake: each one is a bad frame (SPEC §4, 50 a minute). */
const CLIENT_FAULTS: ReadonlySet<WsErrorCode> = new Set([
  WsErrorCode.BAD_REQUEST,
  WsErrorCode.NOT_A_MEMBER,
  WsErrorCode.NOT_JOINED,
  WsErrorCode.UNAUTHORIZED,
]);

export const isClientFault = (code: WsErrorCode): boolean => CLIENT_FAULTS.has(code);

export class Replies {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    private readonly budgets: Pick<ConnectionBudgets, 'take'>,
  ) {}

  write(session: Session, frame: string, type: string): void {
    if (session.closed) return;
    if (session.socket.send(frame)) this.metrics.framesOut.inc({ type });
  }

  fail(session: Session, code: WsErrorCode, message: string, context: ErrorContext): void {
    this.metrics.errors.inc({ code });
    this.write(session, errorFrame(code, message, context), 'error');
    if (isClientFault(code)) this.strike(session);
  }

  /** One bad frame against the connection's budget; the one over it closes the connection with 1008. */
  strike(session: Session): void {
    void this.budgets.take('badFrame', session.connId).then((ok) => {
      if (ok || session.closed) return;
      this.metrics.closes.inc({ reason: 'bad_frames' });
      session.socket.end(tooManyBadFrames.code, tooManyBadFrames.reason);
    });
  }

  /** The reply to a backend call that threw. */
  failWith(session: Session, err: unknown, context: ErrorContext): void {
    if (err instanceof CodedError && err.code === WsErrorCode.UNAVAILABLE) {
      this.fail(session, WsErrorCode.UNAVAILABLE, err.message, context);
    } else {
      this.logger.error({ err, connId: session.connId }, 'backend call failed');
      this.fail(session, WsErrorCode.INTERNAL, 'internal error', context);
    }
  }
}

/** What an error reply to `frame` echoes. */
export function contextOf(frame: ClientFrame): ErrorContext {
  const context: ErrorContext = {};
  if (frame.id !== undefined) context.id = frame.id;
  if ('roomId' in frame) context.roomId = frame.roomId;
  if ('clientMsgId' in frame) context.clientMsgId = frame.clientMsgId;
  return context;
}
