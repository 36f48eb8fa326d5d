/** The SDK's own logic against a small in-test WebSocket server that plays the gateway. */
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { ChatError } from './chat-error.js';
import { CoffeeChatClient } from './client.js';

type Frame = Record<string, unknown> & { type: string };

/** A scripted gateway: records frames, answers joins and sends the way the real one does. */
class FakeGateway {
  readonly wss: WebSocketServer;
  readonly received: Frame[] = [];
  readonly tokens: string[] = [];
  sockets: WebSocket[] = [];
  lastSeq = 0;
  /** stored messages by clientMsgId (the server's idempotency) */
  readonly stored = new Map<string, number>();
  /** override per test: return true when handled */
  onFrame: (ws: WebSocket, frame: Frame) => boolean = () => false;

  constructor() {
    this.wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    this.wss.on('connection', (ws, req) => {
      this.tokens.push(new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? '');
      this.sockets.push(ws);
      ws.send(JSON.stringify({ type: 'hello', userId: 'alice', connId: `c${this.sockets.length}`, heartbeatSec: 30 }));
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Frame;
        this.received.push(frame);
        if (this.onFrame(ws, frame)) return;
        this.answer(ws, frame);
      });
    });
  }

  get url() {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws`;
  }

  answer(ws: WebSocket, frame: Frame) {
    if (frame.type === 'join') {
      ws.send(
        JSON.stringify({
          type: 'joined',
          id: frame.id,
          roomId: frame.roomId,
          lastSeq: this.lastSeq,
          readSeq: 0,
          members: ['alice'],
          presence: {},
        }),
      );
      const after = typeof frame.afterSeq === 'number' ? frame.afterSeq : this.lastSeq;
      for (let seq = after + 1; seq <= this.lastSeq; seq++) ws.send(this.message(String(frame.roomId), seq));
    } else if (frame.type === 'send') {
      const cmid = String(frame.clientMsgId);
      let seq = this.stored.get(cmid);
      if (seq === undefined) {
        seq = ++this.lastSeq;
        this.stored.set(cmid, seq);
        for (const s of this.sockets)
          if (s.readyState === WebSocket.OPEN) s.send(this.message(String(frame.roomId), seq, cmid));
      }
      ws.send(JSON.stringify({ type: 'ack', roomId: frame.roomId, clientMsgId: cmid, seq, ts: 1 }));
    } else if (frame.type === 'leave') {
      ws.send(JSON.stringify({ type: 'left', id: frame.id, roomId: frame.roomId }));
    }
  }

  message(roomId: string, seq: number, clientMsgId = `m${seq}`) {
    return JSON.stringify({ type: 'message', roomId, seq, senderId: 'bob', clientMsgId, body: `body ${seq}`, ts: seq });
  }

  framesOf(type: string) {
    return this.received.filter((f) => f.type === type);
  }

  close() {
    for (const s of this.sockets) s.terminate();
    return new Promise<void>((r) => this.wss.close(() => r()));
  }
}

const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

let server: FakeGateway;
let client: CoffeeChatClient;

beforeEach(async () => {
  server = new FakeGateway();
  await new Promise((r) => server.wss.once('listening', r));
});
afterEach(async () => {
  client?.close();
  await server.close();
});

const newClient = (options: Partial<ConstructorParameters<typeof CoffeeChatClient>[0]> = {}) => {
  client = new CoffeeChatClient({
    url: server.url,
    token: 'tok',
    WebSocket,
    backoff: { initialMs: 20, maxMs: 100 },
    ...options,
  });
  return client;
};

/** A client connected and joined to r1, with the seqs of the messages it passed on. */
const joinedClient = async () => {
  const c = newClient();
  const messages: number[] = [];
  c.on('message', (m) => messages.push(m.seq));
  await c.connect();
  await c.join('r1');
  return { c, messages };
};

describe('CoffeeChatClient', () => {
  it('connects with the token, joins, sends and resolves the ack; the message event arrives once', async () => {
    const c = newClient();
    const messages: number[] = [];
    c.on('message', (m) => messages.push(m.seq));
    expect((await c.connect()).userId).toBe('alice');
    expect(server.tokens).toEqual(['tok']);
    const joined = await c.join('r1');
    expect(joined.lastSeq).toBe(0);
    const ack = await c.send('r1', 'hello', { clientMsgId: 'x1' });
    expect(ack).toMatchObject({ type: 'ack', roomId: 'r1', clientMsgId: 'x1', seq: 1 });
    await until(() => messages.length === 1);
    server.sockets[0]?.send(server.message('r1', 1)); // duplicate from the server
    server.sockets[0]?.send(server.message('r1', 2));
    await until(() => messages.length === 2);
    expect(messages).toEqual([1, 2]);
  });

  it('asks for a fresh token on every connection', async () => {
    let n = 0;
    const c = newClient({ token: async () => `t${++n}` });
    await c.connect();
    server.sockets[0]?.terminate();
    await until(() => server.tokens.length === 2);
    expect(server.tokens).toEqual(['t1', 't2']);
  });

  it('reconnects, re-joins after the last delivered seq and re-sends the unacked message with the same clientMsgId', async () => {
    const { c, messages } = await joinedClient();
    await c.send('r1', 'one');
    await until(() => messages.length === 1);
    // The next send reaches the server, but the connection dies before the ack.
    server.onFrame = (ws, frame) => {
      if (frame.type !== 'send') return false;
      server.onFrame = () => false;
      server.stored.set(String(frame.clientMsgId), ++server.lastSeq);
      ws.terminate();
      return true;
    };
    const ack = await c.send('r1', 'two', { clientMsgId: 'keep-me' });
    expect(ack.seq).toBe(2);
    const sends = server.framesOf('send').filter((f) => f.clientMsgId === 'keep-me');
    expect(sends).toHaveLength(2);
    const rejoin = server.framesOf('join')[1];
    expect(rejoin).toMatchObject({ roomId: 'r1', afterSeq: 1 });
    await until(() => messages.length === 2);
    expect(messages).toEqual([1, 2]);
    expect(c.lastSeq('r1')).toBe(2);
  });

  it('retries a send answered UNAVAILABLE with the same clientMsgId', async () => {
    const { c } = await joinedClient();
    let refusals = 2;
    server.onFrame = (ws, frame) => {
      if (frame.type !== 'send' || refusals === 0) return false;
      refusals -= 1;
      ws.send(
        JSON.stringify({
          type: 'error',
          code: 'UNAVAILABLE',
          message: 'down',
          roomId: frame.roomId,
          clientMsgId: frame.clientMsgId,
        }),
      );
      return true;
    };
    const ack = await c.send('r1', 'hi', { clientMsgId: 'u1' });
    expect(ack.seq).toBe(1);
    expect(server.framesOf('send').map((f) => f.clientMsgId)).toEqual(['u1', 'u1', 'u1']);
  });

  it("keeps a room's sends in the order they were made when one of them is refused and retried", async () => {
    const { c } = await joinedClient();
    let refused = false;
    server.onFrame = (ws, frame) => {
      if (frame.type !== 'send' || frame.clientMsgId !== 'a' || refused) return false;
      refused = true;
      ws.send(JSON.stringify({ type: 'error', code: 'UNAVAILABLE', message: 'down', roomId: 'r1', clientMsgId: 'a' }));
      return true;
    };
    const acks = await Promise.all(['a', 'b', 'c'].map((id) => c.send('r1', id, { clientMsgId: id })));
    expect(acks.map((a) => [a.clientMsgId, a.seq])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    // one at a time: b went out only once a was acked
    expect(server.framesOf('send').map((f) => f.clientMsgId)).toEqual(['a', 'a', 'b', 'c']);
  });

  it('joins again and sends again when a send is answered NOT_JOINED', async () => {
    const { c } = await joinedClient();
    let refused = false;
    server.onFrame = (ws, frame) => {
      if (frame.type !== 'send' || refused) return false;
      refused = true;
      ws.send(
        JSON.stringify({ type: 'error', code: 'NOT_JOINED', message: 'join first', roomId: 'r1', clientMsgId: 'n1' }),
      );
      return true;
    };
    const ack = await c.send('r1', 'hi', { clientMsgId: 'n1' });
    expect(ack).toMatchObject({ clientMsgId: 'n1', seq: 1 });
    expect(server.framesOf('join')).toHaveLength(2);
    expect(server.framesOf('send').map((f) => f.clientMsgId)).toEqual(['n1', 'n1']);
  });

  it('re-sends a send that got no ack in time (same clientMsgId; stored once)', async () => {
    const c = newClient({ ackTimeoutMs: 100 });
    await c.connect();
    await c.join('r1');
    let swallow = true;
    server.onFrame = (_ws, frame) => {
      if (frame.type === 'send' && swallow) {
        swallow = false;
        return true;
      }
      return false;
    };
    expect((await c.send('r1', 'hi', { clientMsgId: 'slow' })).seq).toBe(1);
    expect(server.framesOf('send')).toHaveLength(2);
  });

  it('fails a send with a non-retryable error, and on a refused join', async () => {
    const c = newClient();
    await c.connect();
    server.onFrame = (ws, frame) => {
      if (frame.type === 'join' && frame.roomId === 'secret') {
        ws.send(
          JSON.stringify({ type: 'error', code: 'NOT_A_MEMBER', message: 'no', id: frame.id, roomId: frame.roomId }),
        );
        return true;
      }
      if (frame.type === 'send') {
        ws.send(
          JSON.stringify({
            type: 'error',
            code: 'BAD_REQUEST',
            message: 'bad',
            roomId: frame.roomId,
            clientMsgId: frame.clientMsgId,
          }),
        );
        return true;
      }
      return false;
    };
    await expect(c.join('secret')).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    await c.join('r1');
    const failure = await c.send('r1', 'x').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ChatError);
    expect(failure).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('re-synchronizes on a seq gap by joining again after the last delivered seq', async () => {
    const { messages } = await joinedClient();
    server.lastSeq = 3; // messages 1..3 exist; only 3 reaches the client live
    server.sockets[0]?.send(server.message('r1', 3));
    await until(() => messages.length === 3);
    expect(messages).toEqual([1, 2, 3]);
    expect(server.framesOf('join')[1]).toMatchObject({ roomId: 'r1', afterSeq: 0 });
  });

  it('emits removed and fails the room’s pending sends', async () => {
    const { c } = await joinedClient();
    server.onFrame = (_ws, frame) => frame.type === 'send';
    const pending = c.send('r1', 'never acked');
    const removed = new Promise((r) => c.on('removed', r));
    server.sockets[0]?.send(JSON.stringify({ type: 'removed', roomId: 'r1' }));
    expect(await removed).toEqual({ roomId: 'r1' });
    await expect(pending).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
  });

  it('reports state changes and fails pending work with CLOSED on close()', async () => {
    const c = newClient();
    const states: string[] = [];
    c.on('state', (s) => states.push(s));
    await c.connect();
    await c.join('r1');
    server.onFrame = (_ws, frame) => frame.type === 'send';
    const pending = c.send('r1', 'x');
    c.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    expect(states).toEqual(['connecting', 'open', 'closed']);
  });

  it('forwards typing, read and presence events', async () => {
    const c = newClient();
    const seen: string[] = [];
    c.on('typing', (f) => seen.push(`typing:${f.userId}`));
    c.on('read', (f) => seen.push(`read:${f.seq}`));
    c.on('presence', (f) => seen.push(`presence:${f.status}`));
    await c.connect();
    await c.join('r1');
    const ws = server.sockets[0];
    ws?.send(JSON.stringify({ type: 'typing', roomId: 'r1', userId: 'bob' }));
    ws?.send(JSON.stringify({ type: 'read', roomId: 'r1', userId: 'bob', seq: 3 }));
    ws?.send(JSON.stringify({ type: 'presence', userId: 'bob', status: 'online', ts: 1 }));
    await until(() => seen.length === 3);
    expect(seen).toEqual(['typing:bob', 'read:3', 'presence:online']);
    c.typing('r1');
    c.read('r1', 3);
    await until(() => server.framesOf('read').length === 1);
    expect(server.framesOf('typing')).toHaveLength(1);
  });

  it('throttles typing per room, and a send lets the next keystroke announce typing again', async () => {
    const c = newClient({ typingIntervalMs: 60_000 });
    await c.connect();
    await c.join('r1');
    await c.join('r2');
    for (let i = 0; i < 5; i++) c.typing('r1');
    c.typing('r2');
    await c.send('r1', 'done typing');
    c.typing('r1');
    await until(() => server.framesOf('typing').length === 3);
    expect(server.framesOf('typing').map((f) => f.roomId)).toEqual(['r1', 'r2', 'r1']);
  });

  it('dropConnection reconnects, resumes the room and sends the queued message once', async () => {
    const c = newClient({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
    const states: string[] = [];
    c.on('state', (s) => states.push(s));
    await c.connect();
    await c.join('r1');
    c.dropConnection('offline');
    expect(c.state).toBe('reconnecting');
    const pending = c.send('r1', 'while offline', { clientMsgId: 'q1' });
    c.reconnectNow(); // instead of the minute of backoff
    const ack = await pending;
    expect(ack.seq).toBe(1);
    expect(server.sockets).toHaveLength(2);
    expect(server.framesOf('send')).toHaveLength(1);
    expect(server.framesOf('join').at(-1)).toMatchObject({ roomId: 'r1', afterSeq: 0 });
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
  });

  it('reconnectNow does nothing while connected', async () => {
    const c = newClient();
    await c.connect();
    c.reconnectNow();
    await new Promise((r) => setTimeout(r, 50));
    expect(server.sockets).toHaveLength(1);
    expect(c.state).toBe('open');
  });
});

/** An unsigned JWT-shaped token for `sub` that expires `inSec` from now (the SDK reads, never verifies). */
const jwt = (sub: string, inSec: number, n: number) =>
  `h.${Buffer.from(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + inSec, n })).toString('base64url')}.s`;

describe('CoffeeChatClient token refresh', () => {
  it('sends a fresh token in a refresh frame ahead of exp, on the same connection, and again after refreshed', async () => {
    let n = 0;
    server.onFrame = (ws, frame) => {
      if (frame.type !== 'refresh') return false;
      const exp = JSON.parse(Buffer.from(String(frame.token).split('.')[1] ?? '', 'base64url').toString()).exp;
      ws.send(JSON.stringify({ type: 'refreshed', id: frame.id, exp }));
      return true;
    };
    const c = newClient({ token: async () => jwt('alice', 2, ++n) });
    await c.connect();
    await until(() => server.framesOf('refresh').length >= 2, 8000);
    const [first, second] = server.framesOf('refresh');
    expect(new Set([server.tokens[0], first?.token, second?.token]).size).toBe(3);
    expect(server.sockets).toHaveLength(1);
  }, 10_000);

  it('sends again, and keeps the room, when a send or a join is answered TOKEN_EXPIRED', async () => {
    const refusedOnce = new Set<string>();
    server.onFrame = (ws, frame) => {
      if ((frame.type !== 'send' && frame.type !== 'join') || refusedOnce.has(frame.type)) return false;
      refusedOnce.add(frame.type);
      const context =
        frame.type === 'send' ? { roomId: frame.roomId, clientMsgId: frame.clientMsgId } : { id: frame.id };
      ws.send(JSON.stringify({ type: 'error', code: 'TOKEN_EXPIRED', message: 'token expired', ...context }));
      return true;
    };
    const c = newClient({ token: async () => jwt('alice', 3600, 1) });
    await c.connect();
    await c.join('r1');
    expect((await c.send('r1', 'hi')).seq).toBe(1);
    expect(server.framesOf('join')).toHaveLength(2);
    expect(server.framesOf('send')).toHaveLength(2);
  });

  it('refreshes at once when told TOKEN_EXPIRED, and keeps a fixed token as it is', async () => {
    let n = 0;
    const c = newClient({ token: async () => jwt('alice', 3600, ++n) });
    await c.connect();
    server.sockets[0]?.send(JSON.stringify({ type: 'error', code: 'TOKEN_EXPIRED', message: 'token expired' }));
    await until(() => server.framesOf('refresh').length === 1);
    c.close();
    const fixed = newClient({ token: jwt('alice', 2, 0) });
    await fixed.connect();
    await new Promise((r) => setTimeout(r, 2500));
    expect(server.framesOf('refresh')).toHaveLength(1);
  });
});
