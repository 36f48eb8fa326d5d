/**
 * A `send` from its frame to its ack (SPEC §4, docs/internals.md "Chat path"): checked and published
 * into the room's partition, then awaited. The ack rides on the room's `message` frame (its headers name
 * this connection), so the room's binding is held until it came, even if the socket leaves the room.
 * The edge retries for the client across a broker outage: a send that arrives while the broker is away
 * (or back, with the room bindings not restored yet) is held (send-hold.ts) and published once they are;
 * after a reconnect every send still awaiting its ack is published again (the ack may have been lost
 * with the old queue; the router stores a message once and answers a resend with an ack to its sender).
 * Bounded: a resend of a send held or in flight is absorbed, a connection may have 1000 sends awaiting
 * their ack (then RATE_LIMITED), the gateway `maxSendsInFlight` held or in flight (then UNAVAILABLE, shed
 * at the door), and a send is held at most `holdMs` (then UNAVAILABLE, and the client retries).
 */
import { type SendFrame, WsErrorCode } from '@coffeechat/contracts';
import { activeTraceContext, type TraceContext, withTraceContext } from '@coffeechat/telemetry';
import type { GatewayMetrics } from './metrics.js';
import type { ConnectionBudgets } from './rate-limits.js';
import { contextOf, isClientFault, type Replies } from './replies.js';
import type { ConnFrame, RoomFrame } from './room-feed.js';
import type { RoomHub } from './room-hub.js';
import { type RouterClient, type SendRequest, UnconfirmedPublish } from './router-client.js';
import { SendHold } from './send-hold.js';
import { ackFrame, type ErrorContext } from './server-frames.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './sessions.js';

export interface SendsInFlightDeps {
  router: Pick<RouterClient, 'publishSend'>;
  hub: Pick<RoomHub, 'retain' | 'release'>;
  sessions: SessionRegistry;
  budgets: ConnectionBudgets;
  replies: Replies;
  metrics: GatewayMetrics;
  /** sends of all connections held or published and not yet acked; past it a send is answered UNAVAILABLE */
  maxSendsInFlight: number;
  /** the longest a send is held while the broker is away before it is answered UNAVAILABLE (0: never held) */
  holdMs: number;
}

/** A send held or published and not yet acked: its room's binding is retained until the ack (or a deadline). */
interface SendInFlight {
  session: Session;
  /** its key in the connection's map (`awaitedKey`) */
  key: string;
  roomId: string;
  /** what is published, again after a broker reconnect */
  request: SendRequest;
  /** what an error reply about it echoes */
  context: ErrorContext;
  /** the send frame's trace context, for a publish after the frame's handling ended */
  trace: TraceContext;
  /** performance.now() when the send arrived (for the send→ack metric) */
  startedAt: number;
}

/** sends of one connection awaiting their ack; more are refused (RATE_LIMITED) until acks come */
const MAX_PER_CONNECTION = 1000;
/** after this long a send's ack is no longer awaited: the room's binding it held is given back */
const ACK_DEADLINE_MS = 60_000;
const decoder = new TextDecoder('utf-8');

/** A send awaiting its ack, per connection: the room and the client's id make it the same message. */
const awaitedKey = (roomId: string, clientMsgId: string) => `${roomId}\u0000${clientMsgId}`;

export class SendsInFlight {
  private readonly awaited = new Map<Session, Map<string, SendInFlight>>();
  private readonly held: SendHold<SendInFlight>;
  private count = 0;
  /** from a broker disconnect until the room bindings are restored: a publish would lose its ack */
  private linkDown = false;
  private holdTimer?: NodeJS.Timeout;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly deps: SendsInFlightDeps) {
    this.held = new SendHold(deps.holdMs);
    this.sweeper = setInterval(() => this.expire(), ACK_DEADLINE_MS / 4);
    this.sweeper.unref();
  }

  async send(session: Session, frame: SendFrame): Promise<void> {
    const { replies, metrics } = this.deps;
    const context = contextOf(frame);
    const trace = activeTraceContext();
    if (!session.rooms.has(frame.roomId))
      return replies.fail(session, WsErrorCode.NOT_JOINED, 'join the room first', context);
    if (!(await this.deps.budgets.take('send', session.connId))) {
      return replies.fail(session, WsErrorCode.RATE_LIMITED, 'too many sends', context);
    }
    if (session.closed) return;
    const sends = this.of(session);
    const key = awaitedKey(frame.roomId, frame.clientMsgId);
    // A resend of a send this connection has held or in flight: the gateway publishes it (or answers),
    // its ack will come. Publishing it again would only queue a duplicate behind it, which is what an
    // overloaded router can least afford.
    if (sends.has(key)) {
      metrics.resendsAbsorbed.inc();
      return;
    }
    if (sends.size >= MAX_PER_CONNECTION)
      return replies.fail(session, WsErrorCode.RATE_LIMITED, 'too many sends awaiting their ack', context);
    if (this.count >= this.deps.maxSendsInFlight) {
      metrics.shed.inc();
      return replies.fail(
        session,
        WsErrorCode.UNAVAILABLE,
        'too many messages waiting to be stored; retry later',
        context,
      );
    }
    this.deps.hub.retain(frame.roomId).catch(() => undefined);
    const send: SendInFlight = {
      session,
      key,
      roomId: frame.roomId,
      request: {
        roomId: frame.roomId,
        senderId: session.userId,
        clientMsgId: frame.clientMsgId,
        body: frame.body,
        ...(frame.id !== undefined ? { id: frame.id } : {}),
        connId: session.connId,
        receivedAt: Date.now(),
      },
      context,
      trace,
      startedAt: performance.now(),
    };
    sends.set(key, send);
    this.count += 1;
    metrics.sendsInFlight.set(this.count);
    if (this.linkDown) return this.hold(send);
    await this.publish(send, 'first');
  }

  /** A room frame that answers a send of this gateway: its ack, to the sender's connection. */
  answered(frame: RoomFrame): void {
    const answer = frame.answers;
    if (!answer || frame.seq === undefined || frame.storedAt === undefined) return;
    const session = this.deps.sessions.get(answer.connId);
    if (!session) return;
    this.settle(session, awaitedKey(frame.roomId, answer.clientMsgId));
    const ack = ackFrame({
      ...(answer.frameId !== undefined ? { id: answer.frameId } : {}),
      roomId: frame.roomId,
      clientMsgId: answer.clientMsgId,
      seq: frame.seq,
      ts: frame.storedAt,
    });
    this.deps.replies.write(session, ack, 'ack');
  }

  /** The router's `error` (or, from a router of an older release, `ack`) for one connection, forwarded as is. */
  connFrame(frame: ConnFrame): void {
    const session = this.deps.sessions.get(frame.connId);
    if (!session) return;
    const head = peekConnFrame(frame.bytes);
    if (head.roomId !== undefined && head.clientMsgId !== undefined)
      this.settle(session, awaitedKey(head.roomId, head.clientMsgId));
    if (head.type === 'error' && head.code !== undefined) this.deps.metrics.errors.inc({ code: head.code });
    if (session.socket.send(frame.bytes))
      this.deps.metrics.framesOut.inc({ type: head.type === 'ack' ? 'ack' : 'error' });
    // the router's NOT_A_MEMBER for a send is a refusal like the gateway's own
    if (head.type === 'error' && head.code !== undefined && isClientFault(head.code)) this.deps.replies.strike(session);
  }

  /** The connection closed: its sends are no longer awaited, the held ones not published. */
  closed(session: Session): void {
    for (const send of [...(this.awaited.get(session)?.values() ?? [])]) this.forget(send);
    this.awaited.delete(session);
  }

  /** The broker connection dropped: until the room bindings are restored, sends are held. */
  brokerLost(): void {
    this.linkDown = true;
  }

  /**
   * The broker connection came back and the room bindings are restored (this gateway's queue is new:
   * frames published while it was gone are lost, acks included). Every send still awaited is published,
   * in the order the connection sent them: the held ones for the first time, the others again (a router
   * that stored one acks the resend to its sender only). The client has nothing to resend.
   */
  brokerRestored(): { held: number; again: number } {
    this.linkDown = false;
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const sends = [...this.awaited.values()].flatMap((perConnection) => [...perConnection.values()]);
    let held = 0;
    for (const send of sends) {
      const wasHeld = this.held.delete(send);
      if (wasHeld) held += 1;
      void this.publish(send, wasHeld ? 'first' : 'again');
    }
    this.deps.metrics.heldSends.inc({ outcome: 'published' }, held);
    this.deps.metrics.sendsRepublished.inc(sends.length - held);
    this.deps.metrics.sendsHeld.set(this.held.size);
    return { held, again: sends.length - held };
  }

  stop(): void {
    clearInterval(this.sweeper);
    clearTimeout(this.holdTimer);
  }

  /**
   * Publishes a send. Unconfirmed, the broker may have it: its ack may come, and a resend meanwhile is
   * absorbed (the entry goes at the ack, the deadline, or is published again after a broker reconnect).
   * Refused because the broker went away under its first publish: held like a send arriving now.
   * Otherwise refused: answered, and a resend goes through.
   */
  private async publish(send: SendInFlight, attempt: 'first' | 'again'): Promise<void> {
    try {
      await withTraceContext(send.trace, () => this.deps.router.publishSend(send.request));
    } catch (err) {
      if (this.awaited.get(send.session)?.get(send.key) !== send) return; // answered or closed meanwhile
      if (!(err instanceof UnconfirmedPublish)) {
        if (this.linkDown && attempt === 'first') return this.hold(send);
        this.forget(send);
      }
      this.deps.replies.failWith(send.session, err, send.context);
    }
  }

  private hold(send: SendInFlight): void {
    if (this.deps.holdMs === 0) {
      this.forget(send);
      this.deps.replies.fail(send.session, WsErrorCode.UNAVAILABLE, 'broker unavailable', send.context);
      return;
    }
    this.held.hold(send, performance.now());
    this.deps.metrics.sendsHeld.set(this.held.size);
    this.armHoldTimer();
  }

  /** A timer for the oldest held send's deadline (one timer, whatever the number held). */
  private armHoldTimer(): void {
    const next = this.held.nextDeadline();
    if (this.holdTimer || next === undefined) return;
    this.holdTimer = setTimeout(
      () => {
        this.holdTimer = undefined;
        this.expireHeld();
      },
      Math.max(0, next - performance.now()),
    );
    this.holdTimer.unref();
  }

  /** Held sends past their deadline: answered UNAVAILABLE, as before sends were held (the client retries). */
  private expireHeld(): void {
    for (const send of this.held.expire(performance.now())) {
      this.forget(send);
      this.deps.metrics.heldSends.inc({ outcome: 'expired' });
      this.deps.replies.fail(
        send.session,
        WsErrorCode.UNAVAILABLE,
        'the broker is unavailable; send it again later',
        send.context,
      );
    }
    this.deps.metrics.sendsHeld.set(this.held.size);
    this.armHoldTimer();
  }

  /** A send is answered (ack or error): its latency is recorded, its room's binding given back. */
  private settle(session: Session, key: string): void {
    const send = this.awaited.get(session)?.get(key);
    if (!send) return;
    this.forget(send);
    this.deps.metrics.sendToAck.observe((performance.now() - send.startedAt) / 1000);
  }

  /** A send no longer awaited (answered, given up, or its connection closed). */
  private forget(send: SendInFlight): void {
    this.awaited.get(send.session)?.delete(send.key);
    if (this.held.delete(send)) this.deps.metrics.sendsHeld.set(this.held.size);
    this.count -= 1;
    this.deps.metrics.sendsInFlight.set(this.count);
    this.deps.hub.release(send.roomId);
  }

  /** Sends whose ack did not come within the deadline (the router was away); held ones have their own. */
  private expire(): void {
    const before = performance.now() - ACK_DEADLINE_MS;
    for (const sends of this.awaited.values())
      for (const send of sends.values()) if (send.startedAt < before && !this.held.has(send)) this.forget(send);
  }

  private of(session: Session): Map<string, SendInFlight> {
    let sends = this.awaited.get(session);
    if (!sends) {
      sends = new Map();
      this.awaited.set(session, sends);
    }
    return sends;
  }
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
    const fields = value as Record<string, unknown>;
    const text = (x: unknown) => (typeof x === 'string' ? x : undefined);
    const code = text(fields.code);
    return {
      type: text(fields.type),
      roomId: text(fields.roomId),
      clientMsgId: text(fields.clientMsgId),
      code: code !== undefined && Object.hasOwn(WsErrorCode, code) ? (code as WsErrorCode) : undefined,
    };
  } catch {
    return {};
  }
}
