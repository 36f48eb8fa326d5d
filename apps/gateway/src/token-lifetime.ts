/**
 * A WebSocket lives no longer than its token (SPEC §3). At the token's `exp` the connection gets error
 * TOKEN_EXPIRED and, until it refreshes, every frame but `refresh` and `ping` is answered with it;
 * `TOKEN_GRACE_SEC` after `exp` it is closed with 4001. A `refresh` frame with a valid token for the same
 * user moves the deadline to the new `exp` (answer `refreshed`); any other token is UNAUTHORIZED and
 * changes nothing. One timer per connection, for its next deadline.
 */
import { AuthError, type Verifier } from '@coffeechat/auth';
import { CloseCode, type RefreshFrame, WsErrorCode } from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import type { GatewayMetrics } from './metrics.js';
import { contextOf, type Replies } from './replies.js';
import { refreshedFrame } from './server-frames.js';
import type { Session } from './session.js';

export interface TokenLifetimeDeps {
  verify: Verifier;
  replies: Replies;
  metrics: GatewayMetrics;
  logger: Logger;
  graceSec: number;
  now?: () => number;
}

/** setTimeout's longest delay is 2^31−1 ms; a later deadline is approached in steps. */
const MAX_DELAY_MS = 2 ** 30;

export class TokenLifetimes {
  private readonly timers = new Map<Session, NodeJS.Timeout>();
  private readonly now: () => number;

  constructor(private readonly deps: TokenLifetimeDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The connection opened with a token valid until `session.tokenExp`. */
  opened(session: Session): void {
    this.schedule(session);
  }

  async refresh(session: Session, frame: RefreshFrame): Promise<void> {
    const { replies, logger } = this.deps;
    const context = contextOf(frame);
    let identity: Awaited<ReturnType<Verifier>>;
    try {
      identity = await this.deps.verify(frame.token);
    } catch (err) {
      if (err instanceof AuthError) return replies.fail(session, WsErrorCode.UNAUTHORIZED, err.message, context);
      logger.warn({ err, connId: session.connId }, 'token verification failed');
      return replies.fail(session, WsErrorCode.UNAVAILABLE, 'cannot verify the token now; try again', context);
    }
    if (session.closed) return;
    if (identity.userId !== session.userId)
      return replies.fail(session, WsErrorCode.UNAUTHORIZED, 'the token is for another user', context);
    session.tokenExp = identity.exp;
    session.tokenExpired = false;
    this.schedule(session);
    replies.write(session, refreshedFrame(identity.exp, frame.id), 'refreshed');
  }

  closed(session: Session): void {
    clearTimeout(this.timers.get(session));
    this.timers.delete(session);
  }

  /** Sets the connection's one timer: to its `exp`, or, once expired, to the end of its grace. */
  private schedule(session: Session): void {
    clearTimeout(this.timers.get(session));
    const expMs = session.tokenExp * 1000;
    const at = session.tokenExpired ? expMs + this.deps.graceSec * 1000 : expMs;
    const delay = at - this.now();
    if (delay <= 0) {
      this.timers.delete(session);
      this.due(session);
      return;
    }
    const timer = setTimeout(() => this.schedule(session), Math.min(delay, MAX_DELAY_MS));
    timer.unref();
    this.timers.set(session, timer);
  }

  private due(session: Session): void {
    if (session.closed) return;
    if (!session.tokenExpired) {
      session.tokenExpired = true;
      this.deps.replies.fail(
        session,
        WsErrorCode.TOKEN_EXPIRED,
        'token expired; send a refresh frame with a new one',
        {},
      );
      this.schedule(session);
      return;
    }
    this.deps.metrics.closes.inc({ reason: 'token_expired' });
    session.socket.end(CloseCode.TOKEN_EXPIRED, 'token expired');
  }
}
