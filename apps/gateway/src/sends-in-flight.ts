/**
 * A `send` from its frame to its ack (SPEC §4, docs/internals.md "Chat path"): checked and published
 * into the room's partition, then awaited. The ack rides on the room's `message` frame (its headers name
 * this connection), so the room's binding is held until it came, even if the socket leaves the room.
 * Bounded: a resend of a send in flight is absorbed, a connection may have 1000 sends awaiting their
 * ack (then RATE_LIMITED) and the gateway `maxSendsInFlight` (then UNAVAILABLE, shed at the door).
 */
import { type SendFrame, WsErrorCode } from '@coffeechat/contracts';
import { activeTraceContext, withTraceContext } from '@coffeechat/telemetry';
import type { GatewayMetrics } from './metrics.js';
import type { ConnectionBudgets } from './rate-limits.js';
import { contextOf, isClientFault, type Replies } from './replies.js';
import type { ConnFrame, RoomFrame } from './room-feed.js';
import type { RoomHub } from './room-hub.js';
import { type RouterClient, UnconfirmedPublish } from './router-client.js';
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
  /** sends of all connections published and not yet acked; past it a send is answered UNAVAILABLE */
  maxSendsInFlight: number;
}

/** A send published and not yet acked: its room's binding is retained until the ack (or a deadline). */
interface SendInFlight {
  roomId: string;
  /** what an error reply about it echoes */
  context: ErrorContext;
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
  private count = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly deps: SendsInFlightDeps) {
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
    // A resend of a send this connection has in flight: the broker has it (or will answer), its ack
    // will come. Publishing it again would only queue a duplicate behind it, which is what an
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
    sends.set(key, { roomId: frame.roomId, context, startedAt: performance.now() });
    this.count += 1;
    metrics.sendsInFlight.set(this.count);
    try {
      await withTraceContext(trace, () =>
        this.deps.router.publishSend({
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
      if (!(err instanceof UnconfirmedPublish)) this.settle(session, key);
      replies.failWith(session, err, context);
    }
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

  /** The connection closed: its sends are no longer awaited. */
  closed(session: Session): void {
    for (const key of [...(this.awaited.get(session)?.keys() ?? [])]) this.settle(session, key);
    this.awaited.delete(session);
  }

  /**
   * The broker connection came back (this gateway's queue is new): frames published while it was gone
   * are lost, acks included, so no send is awaited any more. Each is answered UNAVAILABLE, so that its
   * client sends it again now (a router that stored it acks the resend) instead of after its ack timeout.
   */
  brokerRestored(): void {
    for (const [session, sends] of this.awaited)
      for (const [key, send] of sends) {
        this.forget(session, key, send);
        this.deps.replies.fail(
          session,
          WsErrorCode.UNAVAILABLE,
          'the broker connection was lost; send it again',
          send.context,
        );
      }
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  /** A send is answered (ack or error) or given up: its latency is recorded, its room's binding given back. */
  private settle(session: Session, key: string): void {
    const send = this.awaited.get(session)?.get(key);
    if (!send) return;
    this.forget(session, key, send);
    this.deps.metrics.sendToAck.observe((performance.now() - send.startedAt) / 1000);
  }

  private forget(session: Session, key: string, send: SendInFlight): void {
    this.awaited.get(session)?.delete(key);
    this.count -= 1;
    this.deps.metrics.sendsInFlight.set(this.count);
    this.deps.hub.release(send.roomId);
  }

  /** Sends whose ack did not come within the deadline (the router was away). */
  private expire(): void {
    const before = performance.now() - ACK_DEADLINE_MS;
    for (const [session, sends] of this.awaited)
      for (const [key, send] of sends) if (send.startedAt < before) this.forget(session, key, send);
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
