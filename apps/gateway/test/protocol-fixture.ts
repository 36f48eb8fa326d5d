/**
 * The gateway's socket handling wired as `service.ts` wires it, with the socket, the uWS topics and
 * the broker (room feed and router client) replaced by recorders, for the unit tests beside the code.
 */
import type { Verifier } from '@coffeechat/auth';
import type { JoinReply, JoinRequest, StoredMessage } from '@coffeechat/contracts';
import { createLogger, createMetrics } from '@coffeechat/service-kit';
import type { ClientSocket, Payload, TopicPublisher } from '../src/client-socket.js';
import { JoinRefusals } from '../src/join-refusals.js';
import { GatewayMetrics } from '../src/metrics.js';
import { offlinePresence } from '../src/presence-view.js';
import { ChatProtocol } from '../src/protocol.js';
import { ConnectionBudgets } from '../src/rate-limits.js';
import { Replies } from '../src/replies.js';
import { roomEvents } from '../src/room-events.js';
import type { RoomFeed, RoomFrame } from '../src/room-feed.js';
import { RoomHub } from '../src/room-hub.js';
import { RoomJoins } from '../src/room-joins.js';
import type { RouterClient, SendRequest } from '../src/router-client.js';
import { SendsInFlight } from '../src/sends-in-flight.js';
import { Session } from '../src/session.js';
import { SessionRegistry } from '../src/sessions.js';
import { TokenLifetimes } from '../src/token-lifetime.js';

type Frame = Record<string, unknown> & { type: string };
const text = (p: Payload) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'));
export const tick = () => new Promise((r) => setTimeout(r, 0));

export class FakeSocket implements ClientSocket {
  readonly sent: Frame[] = [];
  readonly topics = new Set<string>();
  buffered = 0;
  ended?: { code: number; reason: string };
  onEnd: () => void = () => undefined;

  send(frame: Payload): boolean {
    if (this.ended) return false;
    this.sent.push(JSON.parse(text(frame)) as Frame);
    return true;
  }
  subscribe(topic: string) {
    this.topics.add(topic);
  }
  unsubscribe(topic: string) {
    this.topics.delete(topic);
  }
  bufferedAmount() {
    return this.buffered;
  }
  end(code: number, reason: string) {
    this.ended = { code, reason };
    this.onEnd();
  }
  cork(fn: () => void) {
    fn();
  }
  of(type: string) {
    return this.sent.filter((f) => f.type === type);
  }
}

class FakeTopics implements TopicPublisher {
  readonly sockets: FakeSocket[] = [];
  publish(topic: string, frame: Uint8Array): number {
    let n = 0;
    for (const s of this.sockets) if (s.topics.has(topic) && s.send(frame)) n += 1;
    return n;
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The room feed and the router client: records what the gateway asks, answers joins when told. */
export class FakeBroker implements RoomFeed, RouterClient {
  up = true;
  readonly binds: string[] = [];
  readonly unbinds: string[] = [];
  readonly joins: Array<{ request: JoinRequest; reply: Deferred<JoinReply> }> = [];
  readonly sends: SendRequest[] = [];
  readonly typings: string[] = [];
  sendFailure?: Error;
  isUp = () => this.up;
  start() {}
  async bindRoom(roomId: string) {
    this.binds.push(roomId);
  }
  async unbindRoom(roomId: string) {
    this.unbinds.push(roomId);
  }
  join(request: JoinRequest) {
    const reply = deferred<JoinReply>();
    this.joins.push({ request, reply });
    return reply.promise;
  }
  async publishSend(request: SendRequest) {
    if (this.sendFailure) throw this.sendFailure;
    this.sends.push(request);
  }
  async publishRead() {}
  async publishTyping(_roomId: string, _userId: string, frame: string) {
    this.typings.push(frame);
  }
  async close() {}
}

export const stored = (seq: number, roomId = 'r1'): StoredMessage => ({
  roomId,
  seq,
  senderId: 'bob',
  clientMsgId: `c${seq}`,
  body: `b${seq}`,
  ts: seq,
});
export const accepted = (lastSeq: number, replay: number[] = [], members = ['alice', 'bob']): JoinReply => ({
  ok: true,
  roomId: 'r1',
  lastSeq,
  readSeq: 0,
  members,
  replay: replay.map((s) => stored(s)),
  truncated: false,
});
export const liveFrame = (seq: number, roomId = 'r1'): RoomFrame => ({
  roomId,
  seq,
  bytes: Buffer.from(
    JSON.stringify({ type: 'message', roomId, seq, senderId: 'bob', clientMsgId: `c${seq}`, body: `b${seq}`, ts: seq }),
  ),
});

export interface Connection {
  socket: FakeSocket;
  session: Session;
  /** a frame from the client */
  frame(value: unknown): void;
}

export interface SetupOptions {
  lowWater?: number;
  holdLimit?: number;
  maxSendsInFlight?: number;
  holdMs?: number;
  /** the room catch-up's deadline and pause (room-hub.ts) */
  catchUp?: { deadlineMs: number; retryMs: number };
  maxRooms?: number;
  joinsPerSecond?: number;
  graceSec?: number;
  /** verifies `refresh` tokens; by default a token is its user id and never expires */
  verify?: Verifier;
  now?: () => number;
}

/** A token's `exp` in the fixture when the test gives none: far in the future. */
export const FAR_EXP = 4_000_000_000;

export function setup(options: SetupOptions = {}) {
  const backend = new FakeBroker();
  const topics = new FakeTopics();
  const metrics = new GatewayMetrics(createMetrics('gateway-test'));
  const logger = createLogger('gateway-test', 'silent');
  const sessions = new SessionRegistry(metrics);
  const budgets = new ConnectionBudgets({
    sendsPerSecond: 20,
    typingPerSecond: 5,
    joinsPerSecond: options.joinsPerSecond ?? 1000,
    readsPerSecond: 20,
    badFramesPerMinute: 50,
  });
  const replies = new Replies(metrics, logger, budgets);
  const tokens = new TokenLifetimes({
    verify: options.verify ?? (async (token) => ({ userId: token, admin: false, exp: FAR_EXP })),
    replies,
    metrics,
    logger,
    graceSec: options.graceSec ?? 10,
    ...(options.now ? { now: options.now } : {}),
  });
  const refusals = new JoinRefusals(5000);
  const hub = new RoomHub({
    feed: backend,
    router: backend,
    topics,
    metrics,
    holdLimitBytes: options.holdLimit ?? 1 << 20,
    ...(options.catchUp ? { catchUp: options.catchUp } : {}),
  });
  const joins = new RoomJoins({
    hub,
    router: backend,
    refusals,
    presence: offlinePresence,
    replies,
    metrics,
    replayLowWaterBytes: options.lowWater ?? 1 << 20,
    maxRoomsPerConnection: options.maxRooms ?? 100,
  });
  const sends = new SendsInFlight({
    router: backend,
    hub,
    sessions,
    budgets,
    replies,
    metrics,
    maxSendsInFlight: options.maxSendsInFlight ?? 5000,
    holdMs: options.holdMs ?? 7000,
  });
  const protocol = new ChatProtocol({
    sessions,
    joins,
    sends,
    feed: backend,
    router: backend,
    budgets,
    tokens,
    presence: offlinePresence,
    replies,
    metrics,
    logger,
    heartbeatSec: 25,
  });
  const events = roomEvents({ hub, joins, sends, refusals, presence: { membership: () => undefined }, logger });
  let n = 0;
  const connect = (userId: string, tokenExp = FAR_EXP): Connection => {
    const socket = new FakeSocket();
    const session = new Session(`conn${++n}`, userId, socket, tokenExp);
    socket.onEnd = () => protocol.closed(session);
    topics.sockets.push(socket);
    protocol.open(session);
    const frame = (value: unknown) =>
      protocol.receive(session, new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer, false);
    return { socket, session, frame };
  };
  /** connects each user and joins them to r1, answered at once (`lastSeq` 0) */
  const joined = async <const U extends readonly string[]>(...userIds: U) => {
    const connections = userIds.map((userId) => connect(userId));
    for (const c of connections) c.frame({ type: 'join', roomId: 'r1' });
    await tick();
    for (const j of backend.joins.slice(-connections.length)) j.reply.resolve(accepted(0));
    await tick();
    return connections as { -readonly [K in keyof U]: Connection };
  };
  return { backend, topics, hub, protocol, events, sends, sessions, metrics, connect, joined };
}
