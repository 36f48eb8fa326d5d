/**
 * Writing the gateway's own frames to a socket, counted by type, and its error replies (SPEC §4): the
 * code, the message, and the request's `id`, `roomId`, `clientMsgId` echoed. A backend that cannot be
 * reached is the client's UNAVAILABLE; anything else is logged and answered INTERNAL.
 */
import { type ClientFrame, CodedError, WsErrorCode } from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import type { GatewayMetrics } from './metrics.js';
import { type ErrorContext, errorFrame } from './server-frames.js';
import type { Session } from './session.js';

export class Replies {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  write(session: Session, frame: string, type: string): void {
    if (session.closed) return;
    if (session.socket.send(frame)) this.metrics.framesOut.inc({ type });
  }

  fail(session: Session, code: WsErrorCode, message: string, context: ErrorContext): void {
    this.metrics.errors.inc({ code });
    this.write(session, errorFrame(code, message, context), 'error');
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
