/** Frame handling decisions of the gateway, with the socket, topics and backend replaced by recorders. */
import {
  CodedError,
  type JoinReply,
  type JoinRequest,
  type MembershipEvent,
  type StoredMessage,
  WsErrorCode,
} from '@coffeechat/contracts';
import { createLogger, createMetrics } from '@coffeechat/service-kit';
import { describe, expect, it } from 'vitest';
import {
  type BackendEvents,
  type ChatBackend,
  type RoomFrame,
  type SendRequest,
  UnconfirmedPublish,
} from './chat-backend.js';
import type { ClientSocket, TopicPublisher } from './client-socket.js';
import { MembershipCache } from './membership-cache.js';
import { GatewayMetrics } from './metrics.js';
import { offlinePresence } from './presence-view.js';
import { ChatProtocol } from './protocol.js';
import { ConnectionBudgets } from './rate-limits.js';
import type { Payload } from './replay-merge.js';
import { RoomHub } from './room-hub.js';
import { Session } from './session.js';

type Frame = Record<string, unknown> & { type: string };
const text = (p: Payload) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'));
const tick = () => new Promise((r) => setTimeout(r, 0));

class FakeSocket implements ClientSocket {
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

class FakeBackend implements ChatBackend {
  up = true;
  readonly binds: string[] = [];
  readonly unbinds: string[] = [];
  readonly joins: Array<{ request: JoinRequest; reply: Deferred<JoinReply> }> = [];
  readonly sends: SendRequest[] = [];
  readonly typings: string[] = [];
  sendFailure?: Error;
  isUp = () => this.up;
  start(_events: BackendEvents) {}
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

const stored = (seq: number, roomId = 'r1'): StoredMessage => ({
  roomId,
  seq,
  senderId: 'bob',
  clientMsgId: `c${seq}`,
  body: `b${seq}`,
  ts: seq,
});
const accepted = (lastSeq: number, replay: number[] = [], members = ['alice', 'bob']): JoinReply => ({
  ok: true,
  roomId: 'r1',
  lastSeq,
  readSeq: 0,
  members,
  replay: replay.map((s) => stored(s)),
  truncated: false,
});
const liveFrame = (seq: number, roomId = 'r1'): RoomFrame => ({
  roomId,
  seq,
  bytes: Buffer.from(
    JSON.stringify({ type: 'message', roomId, seq, senderId: 'bob', clientMsgId: `c${seq}`, body: `b${seq}`, ts: seq }),
  ),
});

function setup(options: { lowWater?: number; holdLimit?: number; maxSendsInFlight?: number } = {}) {
  const backend = new FakeBackend();
  const topics = new FakeTopics();
  const metrics = new GatewayMetrics(createMetrics('gateway-test'));
  const hub = new RoomHub(backend, topics, metrics, options.holdLimit ?? 1 << 20);
  const protocol = new ChatProtocol({
    backend,
    hub,
    budgets: new ConnectionBudgets({ sendsPerSecond: 20, typingPerSecond: 5, badFramesPerMinute: 50 }),
    membership: new MembershipCache(5000),
    presence: offlinePresence,
    metrics,
    logger: createLogger('gateway-test', 'silent'),
    heartbeatSec: 25,
    replayLowWaterBytes: options.lowWater ?? 1 << 20,
    maxSendsInFlight: options.maxSendsInFlight ?? 5000,
  });
  let n = 0;
  const connect = (userId: string) => {
    const socket = new FakeSocket();
    const session = new Session(`conn${++n}`, userId, socket);
    socket.onEnd = () => protocol.closed(session);
    topics.sockets.push(socket);
    protocol.open(session);
    const frame = (value: unknown) =>
      protocol.receive(session, new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer, false);
    return { socket, session, frame };
  };
  return { backend, topics, hub, protocol, metrics, connect };
}

describe('ChatProtocol', () => {
  it('greets with hello and answers ping', async () => {
    const { connect } = setup();
    const a = connect('alice');
    a.frame({ type: 'ping', id: 'p' });
    await tick();
    expect(a.socket.sent).toEqual([
      { type: 'hello', userId: 'alice', connId: 'conn1', heartbeatSec: 25 },
      { type: 'pong', id: 'p' },
    ]);
  });

  it('joins: binds the room, asks the router, then writes joined, the replay and the live frames after it, once each', async () => {
    const { connect, backend, hub } = setup();
    const a = connect('alice');
    a.frame({ type: 'join', id: 'j', roomId: 'r1', afterSeq: 2 });
    await tick();
    expect(backend.binds).toEqual(['r1']);
    expect(backend.joins[0]?.request).toEqual({ kind: 'join', roomId: 'r1', userId: 'alice', afterSeq: 2 });
    // While the router reads 3..5, messages 5 and 6 arrive live (5 twice: a re-publish).
    hub.deliver(liveFrame(5));
    hub.deliver(liveFrame(5));
    hub.deliver(liveFrame(6));
    backend.joins[0]?.reply.resolve(accepted(5, [3, 4, 5]));
    await tick();
    hub.deliver(liveFrame(7));
    const types = a.socket.sent.slice(1).map((f) => (f.type === 'message' ? f.seq : f.type));
    expect(types).toEqual(['joined', 3, 4, 5, 6, 7]);
    expect(a.socket.sent[1]).toMatchObject({ id: 'j', presence: { alice: 'offline', bob: 'offline' } });
    expect(a.socket.topics.has('room/r1')).toBe(true);
  });

  it('writes a long replay only as fast as the client reads, holding live frames until it is done', async () => {
    const { connect, backend, hub, protocol } = setup({ lowWater: 100 });
    const a = connect('alice');
    a.frame({ type: 'join', roomId: 'r1', afterSeq: 0 });
    await tick();
    a.socket.buffered = 1000; // the client is behind
    backend.joins[0]?.reply.resolve(accepted(3, [1, 2, 3]));
    await tick();
    expect(a.socket.of('joined')).toHaveLength(1);
    expect(a.socket.of('message')).toHaveLength(0);
    hub.deliver(liveFrame(4));
    a.socket.buffered = 0;
    protocol.drain(a.session);
    expect(a.socket.of('message').map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    expect(a.socket.topics.has('room/r1')).toBe(true);
  });

  it('binds a room once for many sockets and unbinds after the last leaves', async () => {
    const { connect, backend } = setup();
    const a = connect('alice');
    const b = connect('bob');
    a.frame({ type: 'join', roomId: 'r1' });
    b.frame({ type: 'join', roomId: 'r1' });
    await tick();
    for (const j of backend.joins) j.reply.resolve(accepted(0));
    await tick();
    expect(backend.binds).toEqual(['r1']);
    a.frame({ type: 'leave', id: 'l', roomId: 'r1' });
    await tick();
    expect(a.socket.sent.at(-1)).toEqual({ type: 'left', id: 'l', roomId: 'r1' });
    expect(backend.unbinds).toEqual([]);
    b.socket.end(1000, 'bye');
    expect(backend.unbinds).toEqual(['r1']);
  });

  it('sends: NOT_JOINED before a join; publishes with the connection id; UNAVAILABLE when the broker fails', async () => {
    const { connect, backend } = setup();
    const a = connect('alice');
    a.frame({ type: 'send', id: 's0', roomId: 'r1', clientMsgId: 'c0', body: 'x' });
    await tick();
    expect(a.socket.sent.at(-1)).toMatchObject({
      type: 'error',
      code: 'NOT_JOINED',
      id: 's0',
      roomId: 'r1',
      clientMsgId: 'c0',
    });
    a.frame({ type: 'join', roomId: 'r1' });
    await tick();
    backend.joins[0]?.reply.resolve(accepted(0));
    await tick();
    a.frame({ type: 'send', id: 's1', roomId: 'r1', clientMsgId: 'c1', body: 'hi' });
    await tick();
    expect(backend.sends[0]).toMatchObject({
      roomId: 'r1',
      senderId: 'alice',
      clientMsgId: 'c1',
      body: 'hi',
      id: 's1',
      connId: 'conn1',
    });
    backend.sendFailure = new CodedError(WsErrorCode.UNAVAILABLE, 'broker unavailable');
    a.frame({ type: 'send', roomId: 'r1', clientMsgId: 'c2', body: 'hi' });
    await tick();
    await tick();
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', roomId: 'r1', clientMsgId: 'c2' });
  });

  it('acks a send from the room frame that answers it, even after the sender left the room, then unbinds', async () => {
    const { connect, backend, protocol } = setup();
    const a = connect('alice');
    const b = connect('bob');
    a.frame({ type: 'join', roomId: 'r1' });
    b.frame({ type: 'join', roomId: 'r1' });
    await tick();
    for (const j of backend.joins) j.reply.resolve(accepted(0));
    await tick();
    a.frame({ type: 'send', id: 's1', roomId: 'r1', clientMsgId: 'c1', body: 'b1' });
    await tick();
    const answered = (seq: number, clientMsgId: string, frameId?: string): RoomFrame => ({
      ...liveFrame(seq),
      storedAt: 1000 + seq,
      answers: { connId: 'conn1', clientMsgId, ...(frameId ? { frameId } : {}) },
    });
    protocol.roomFrame(answered(1, 'c1', 's1'));
    // both see the message; only the sender's connection gets the ack, after it
    expect(a.socket.sent.slice(-2)).toEqual([
      { type: 'message', roomId: 'r1', seq: 1, senderId: 'bob', clientMsgId: 'c1', body: 'b1', ts: 1 },
      { type: 'ack', id: 's1', roomId: 'r1', clientMsgId: 'c1', seq: 1, ts: 1001 },
    ]);
    expect(b.socket.of('ack')).toEqual([]);
    // a re-published message (a resend of a stored one) is not delivered twice, but acked again
    a.frame({ type: 'send', roomId: 'r1', clientMsgId: 'c1', body: 'b1' });
    await tick();
    protocol.roomFrame(answered(1, 'c1'));
    expect(a.socket.of('message')).toHaveLength(1);
    expect(a.socket.sent.at(-1)).toEqual({ type: 'ack', roomId: 'r1', clientMsgId: 'c1', seq: 1, ts: 1001 });
    // alice sends, then both leave before the ack: the room stays bound until it came
    a.frame({ type: 'send', roomId: 'r1', clientMsgId: 'c2', body: 'b2' });
    await tick();
    a.frame({ type: 'leave', roomId: 'r1' });
    b.frame({ type: 'leave', roomId: 'r1' });
    await tick();
    expect(backend.unbinds).toEqual([]);
    protocol.roomFrame(answered(2, 'c2'));
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'ack', clientMsgId: 'c2', seq: 2 });
    expect(a.socket.of('message')).toHaveLength(1); // left: no more room traffic
    expect(backend.unbinds).toEqual(['r1']);
  });

  it('absorbs a resend of a send in flight, sheds sends past the in-flight bound, lets resends through after a broker reconnect', async () => {
    const { connect, backend, protocol } = setup({ maxSendsInFlight: 2 });
    const a = connect('alice');
    a.frame({ type: 'join', roomId: 'r1' });
    await tick();
    backend.joins[0]?.reply.resolve(accepted(0));
    await tick();
    const send = (clientMsgId: string) => a.frame({ type: 'send', roomId: 'r1', clientMsgId, body: 'x' });
    send('c1');
    send('c1'); // the SDK's resend after its ack timeout: the first is still queued
    send('c2');
    await tick();
    expect(backend.sends.map((s) => s.clientMsgId)).toEqual(['c1', 'c2']);
    send('c3'); // two in flight: shed at the door
    await tick();
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', clientMsgId: 'c3' });
    protocol.roomFrame({ ...liveFrame(1), storedAt: 1, answers: { connId: 'conn1', clientMsgId: 'c1' } });
    send('c3'); // room again after an ack
    await tick();
    expect(backend.sends.map((s) => s.clientMsgId)).toEqual(['c1', 'c2', 'c3']);
    // the broker connection came back: acks published meanwhile are lost, so resends go through
    protocol.brokerRestored();
    send('c2');
    await tick();
    expect(backend.sends.map((s) => s.clientMsgId)).toEqual(['c1', 'c2', 'c3', 'c2']);
  });

  it('keeps an unconfirmed send in flight (its ack may come), but not a refused one', async () => {
    const { connect, backend, protocol } = setup();
    const a = connect('alice');
    a.frame({ type: 'join', roomId: 'r1' });
    await tick();
    backend.joins[0]?.reply.resolve(accepted(0));
    await tick();
    const send = (clientMsgId: string) => a.frame({ type: 'send', roomId: 'r1', clientMsgId, body: 'x' });
    backend.sendFailure = new UnconfirmedPublish('broker did not confirm');
    send('c1');
    await tick();
    await tick();
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', clientMsgId: 'c1' });
    backend.sendFailure = undefined;
    send('c1'); // the client's retry: the broker may have the first one, so it is not published again
    await tick();
    expect(backend.sends).toEqual([]);
    protocol.roomFrame({ ...liveFrame(1), storedAt: 1, answers: { connId: 'conn1', clientMsgId: 'c1' } });
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'ack', clientMsgId: 'c1', seq: 1 });
    backend.sendFailure = new CodedError(WsErrorCode.UNAVAILABLE, 'broker unavailable');
    send('c2');
    await tick();
    await tick();
    backend.sendFailure = undefined;
    send('c2'); // refused at once: the retry goes through
    await tick();
    expect(backend.sends.map((s) => s.clientMsgId)).toEqual(['c2']);
  });

  it('answers RATE_LIMITED to the 21st send and the 6th typing frame of a second', async () => {
    const { connect, backend } = setup();
    const a = connect('alice');
    a.frame({ type: 'join', roomId: 'r1' });
    await tick();
    backend.joins[0]?.reply.resolve(accepted(0));
    await tick();
    for (let i = 0; i < 21; i++) a.frame({ type: 'send', roomId: 'r1', clientMsgId: `c${i}`, body: 'x' });
    for (let i = 0; i < 6; i++) a.frame({ type: 'typing', roomId: 'r1' });
    await tick();
    await tick();
    expect(backend.sends).toHaveLength(20);
    expect(backend.typings).toHaveLength(5);
    expect(a.socket.of('error').map((f) => f.code)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
  });

  it('delivers a typing frame to the other users’ sockets only', async () => {
    const { connect, backend, hub } = setup();
    const a = connect('alice');
    const a2 = connect('alice');
    const b = connect('bob');
    for (const s of [a, a2, b]) s.frame({ type: 'join', roomId: 'r1' });
    await tick();
    for (const j of backend.joins) j.reply.resolve(accepted(0));
    await tick();
    hub.deliver({
      roomId: 'r1',
      userId: 'alice',
      bytes: Buffer.from('{"type":"typing","roomId":"r1","userId":"alice"}'),
    });
    expect(b.socket.of('typing')).toHaveLength(1);
    expect(a.socket.of('typing')).toHaveLength(0);
    expect(a2.socket.of('typing')).toHaveLength(0);
  });

  it('on membership.removed: sends removed to that user’s sockets, stops the room traffic, releases the binding', async () => {
    const { connect, backend, hub, protocol } = setup();
    const a = connect('alice');
    const b = connect('bob');
    a.frame({ type: 'join', roomId: 'r1' });
    b.frame({ type: 'join', roomId: 'r1' });
    await tick();
    for (const j of backend.joins) j.reply.resolve(accepted(0));
    await tick();
    const removed: MembershipEvent = { kind: 'removed', roomId: 'r1', userId: 'alice', at: 1 };
    protocol.membership(removed);
    expect(a.socket.sent.at(-1)).toEqual({ type: 'removed', roomId: 'r1' });
    hub.deliver(liveFrame(1));
    expect(a.socket.of('message')).toHaveLength(0);
    expect(b.socket.of('message')).toHaveLength(1);
    b.frame({ type: 'leave', roomId: 'r1' });
    await tick();
    expect(backend.unbinds).toEqual(['r1']);
  });

  it('remembers NOT_A_MEMBER until a membership event for the pair', async () => {
    const { connect, backend, protocol } = setup();
    const a = connect('alice');
    a.frame({ type: 'join', id: 'j1', roomId: 'r1' });
    await tick();
    backend.joins[0]?.reply.resolve({ ok: false, code: 'NOT_A_MEMBER', message: 'no' });
    await tick();
    a.frame({ type: 'join', id: 'j2', roomId: 'r1' });
    await tick();
    expect(backend.joins).toHaveLength(1);
    expect(a.socket.of('error').map((f) => [f.id, f.code])).toEqual([
      ['j1', 'NOT_A_MEMBER'],
      ['j2', 'NOT_A_MEMBER'],
    ]);
    protocol.membership({ kind: 'added', roomId: 'r1', userId: 'alice', at: 1 });
    a.frame({ type: 'join', id: 'j3', roomId: 'r1' });
    await tick();
    expect(backend.joins).toHaveLength(2);
    expect(backend.unbinds).toEqual(['r1']);
  });

  it('closes with 1009 above 64 KiB, 1008 on binary and after the 51st bad frame of a minute', async () => {
    const { connect, protocol } = setup();
    const big = connect('a');
    protocol.receive(big.session, new ArrayBuffer(64 * 1024 + 1), false);
    expect(big.socket.ended?.code).toBe(1009);
    const bin = connect('b');
    protocol.receive(bin.session, new ArrayBuffer(4), true);
    expect(bin.socket.ended?.code).toBe(1008);
    const bad = connect('c');
    for (let i = 0; i < 51; i++)
      protocol.receive(bad.session, new TextEncoder().encode('nope').buffer as ArrayBuffer, false);
    await tick();
    expect(bad.socket.of('error')).toHaveLength(51);
    expect(bad.socket.ended?.code).toBe(1008);
    expect(protocol.connectionCount).toBe(0);
  });

  it('after a broker reconnect, gives each live socket exactly the messages it missed, merged with new live ones', async () => {
    const { connect, backend, hub } = setup();
    const a = connect('alice');
    a.frame({ type: 'join', roomId: 'r1' });
    await tick();
    backend.joins[0]?.reply.resolve(accepted(2));
    await tick();
    hub.deliver(liveFrame(3));
    const b = connect('bob');
    b.frame({ type: 'join', roomId: 'r1' });
    await tick();
    backend.joins[1]?.reply.resolve(accepted(5)); // bob joined after 4 and 5 were stored (lost for this gateway)
    await tick();
    // The broker connection dropped; 4..7 were published meanwhile. Now it is back:
    const resync = hub.resync();
    await tick();
    expect(backend.joins[2]?.request).toMatchObject({ roomId: 'r1', afterSeq: 3 });
    hub.deliver(liveFrame(8)); // live traffic flows before the router answers
    backend.joins[2]?.reply.resolve(accepted(7, [4, 5, 6, 7]));
    await resync;
    hub.deliver(liveFrame(9));
    expect(a.socket.of('message').map((f) => f.seq)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(b.socket.of('message').map((f) => f.seq)).toEqual([6, 7, 8, 9]);
  });
});
