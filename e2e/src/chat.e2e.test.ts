/**
 * The WebSocket protocol of SPEC §4 end to end: two message-routers and two gateways as separate
 * processes on the real RabbitMQ and MongoDB-wire server, driven through raw sockets (exact frames)
 * and the SDK.
 */
import {
  ChatStack,
  eventually,
  type Frame,
  nextEvent,
  RawSocket,
  scrapeSum,
  TcpProxy,
  tokenFor,
} from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ORIGIN = 'https://coffeechat.test';
let stack: ChatStack;

beforeAll(async () => {
  stack = await ChatStack.start({
    label: 'chat',
    // Gateway 1 restricts origins and has a small send buffer and a high send rate, for the limit tests.
    gatewayEnv: (i): Record<string, string> =>
      i === 1 ? { ALLOWED_ORIGINS: ORIGIN, GATEWAY_SEND_BUFFER_BYTES: '65536', GATEWAY_SENDS_PER_SEC: '5000' } : {},
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const open = async (userId: string, gateway = 0) => RawSocket.open(stack.wsUrl(gateway), await tokenFor(userId));

describe('chat between gateways', () => {
  it('acks the sender and delivers the message to every joined connection on both gateways', async () => {
    const room = await stack.createRoom(['alice', 'bob']);
    const alice = await open('alice', 0);
    const bob = await open('bob', 1);
    expect(alice.frames[0]).toMatchObject({ type: 'hello', userId: 'alice', heartbeatSec: expect.any(Number) });

    const joined = await alice.request({ type: 'join', id: 'j1', roomId: room.roomId });
    expect(joined).toEqual({
      type: 'joined',
      id: 'j1',
      roomId: room.roomId,
      lastSeq: 0,
      readSeq: 0,
      members: ['alice', 'bob'],
      // No presence service runs in this stack: alice's own gateway knows she is online, bob reads offline.
      presence: { alice: 'online', bob: 'offline' },
    });
    await bob.request({ type: 'join', id: 'j2', roomId: room.roomId });

    const ack = await alice.request({
      type: 'send',
      id: 's1',
      roomId: room.roomId,
      clientMsgId: 'c1',
      body: 'hello bob',
    });
    expect(ack).toEqual({
      type: 'ack',
      id: 's1',
      roomId: room.roomId,
      clientMsgId: 'c1',
      seq: 1,
      ts: expect.any(Number),
    });
    const expected = {
      type: 'message',
      roomId: room.roomId,
      seq: 1,
      senderId: 'alice',
      clientMsgId: 'c1',
      body: 'hello bob',
      ts: ack.ts,
    };
    expect(await bob.next((f) => f.type === 'message')).toEqual(expected);
    expect(await alice.next((f) => f.type === 'message')).toEqual(expected);

    // The same clientMsgId again: the same seq, nothing stored or delivered twice.
    const again = await alice.request({
      type: 'send',
      id: 's2',
      roomId: room.roomId,
      clientMsgId: 'c1',
      body: 'hello bob',
    });
    expect(again).toMatchObject({ type: 'ack', seq: 1 });
    const reply = await bob.request({
      type: 'send',
      id: 's3',
      roomId: room.roomId,
      clientMsgId: 'c2',
      body: 'hi alice',
    });
    expect(reply).toMatchObject({ type: 'ack', seq: 2 });
    await alice.next((f) => f.type === 'message' && f.seq === 2);
    await bob.next((f) => f.type === 'message' && f.seq === 2);
    expect(bob.frames.filter((f) => f.type === 'message').map((f) => f.seq)).toEqual([1, 2]);
    expect(alice.frames.filter((f) => f.type === 'message').map((f) => f.seq)).toEqual([1, 2]);

    // typing reaches the other member only; read markers reach every joined member.
    alice.send({ type: 'typing', roomId: room.roomId });
    expect(await bob.next((f) => f.type === 'typing')).toEqual({
      type: 'typing',
      roomId: room.roomId,
      userId: 'alice',
    });
    // (A sender's own marker already stands at their message, so Alice reads Bob's.)
    alice.send({ type: 'read', roomId: room.roomId, seq: 2 });
    expect(await bob.next((f) => f.type === 'read')).toEqual({
      type: 'read',
      roomId: room.roomId,
      userId: 'alice',
      seq: 2,
    });
    await alice.next((f) => f.type === 'read');
    expect(alice.frames.some((f) => f.type === 'typing')).toBe(false);
    expect(await alice.request({ type: 'ping', id: 'p1' })).toEqual({ type: 'pong', id: 'p1' });

    const left = await bob.request({ type: 'leave', id: 'l1', roomId: room.roomId });
    expect(left).toEqual({ type: 'left', id: 'l1', roomId: room.roomId });
    await alice.request({ type: 'send', id: 's4', roomId: room.roomId, clientMsgId: 'c3', body: 'still there?' });
    await alice.next((f) => f.type === 'message' && f.seq === 3);
    expect(bob.frames.some((f) => f.type === 'message' && f.seq === 3)).toBe(false);
    alice.close();
    bob.close();
  });

  it('resumes with afterSeq on another gateway: every later message once, in order, merged with live ones', async () => {
    const room = await stack.createRoom(['carol', 'dan']);
    const dan = await stack.client('dan', 1);
    await dan.join(room.roomId);
    const carol = await open('carol', 0);
    await carol.request({ type: 'join', id: 'j', roomId: room.roomId });
    await dan.send(room.roomId, 'm1');
    await dan.send(room.roomId, 'm2');
    await carol.next((f) => f.type === 'message' && f.seq === 2);
    carol.close();

    for (let i = 3; i <= 6; i++) await dan.send(room.roomId, `m${i}`);
    // Live sends keep coming while carol re-joins on the other gateway.
    const live = Promise.all([7, 8, 9, 10].map((i) => dan.send(room.roomId, `m${i}`)));
    const back = await open('carol', 1);
    const joined = await back.request({ type: 'join', id: 'r', roomId: room.roomId, afterSeq: 2 });
    expect(joined).toMatchObject({ type: 'joined', roomId: room.roomId });
    await live;
    await back.next((f) => f.type === 'message' && f.seq === 10);
    const seqs = back.frames.filter((f) => f.type === 'message').map((f) => f.seq);
    expect(seqs).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    const joinedAt = back.frames.indexOf(joined);
    expect(back.frames.findIndex((f) => f.type === 'message')).toBeGreaterThan(joinedAt);
    back.close();
  });

  it('acks a resend of a stored message to the sender only: a member who had it by replay does not get it again', async () => {
    const room = await stack.createRoom(['gina', 'hal']);
    const gina = await open('gina', 0);
    await gina.request({ type: 'join', id: 'j', roomId: room.roomId });
    const first = await gina.request({ type: 'send', id: 's1', roomId: room.roomId, clientMsgId: 'g1', body: 'one' });
    // Hal's gateway never carried seq 1 live: he has it from his join's replay.
    const hal = await open('hal', 1);
    await hal.request({ type: 'join', id: 'j', roomId: room.roomId, afterSeq: 0 });
    await hal.next((f) => f.type === 'message' && f.seq === 1);
    // Gina's client did not see the ack (say) and sends g1 again: the same ack, and the room hears nothing.
    const again = await gina.request({ type: 'send', id: 's2', roomId: room.roomId, clientMsgId: 'g1', body: 'one' });
    expect(again).toEqual({ ...first, id: 's2' });
    await gina.request({ type: 'send', id: 's3', roomId: room.roomId, clientMsgId: 'g2', body: 'two' });
    await hal.next((f) => f.type === 'message' && f.seq === 2);
    await gina.next((f) => f.type === 'message' && f.seq === 2);
    expect(hal.frames.filter((f) => f.type === 'message').map((f) => f.seq)).toEqual([1, 2]);
    expect(gina.frames.filter((f) => f.type === 'message').map((f) => f.seq)).toEqual([1, 2]);
    gina.close();
    hal.close();
  });

  it('writes a message byte for byte the same live and in a replay', async () => {
    const room = await stack.createRoom(['erin', 'finn']);
    const erin = await open('erin', 0);
    await erin.request({ type: 'join', id: 'j', roomId: room.roomId });
    await erin.request({
      type: 'send',
      id: 's',
      roomId: room.roomId,
      clientMsgId: 'é-1',
      body: 'naïve "quotes" \\ ☕',
    });
    const live = await erin.next((f) => f.type === 'message' && f.seq === 1);
    const finn = await open('finn', 1);
    await finn.request({ type: 'join', id: 'j', roomId: room.roomId, afterSeq: 0 });
    const replayed = await finn.next((f) => f.type === 'message' && f.seq === 1);
    expect(replayed).toEqual(live);
    expect(finn.textOf(replayed)).toBe(erin.textOf(live));
    erin.close();
    finn.close();
  });

  it('the SDK re-joins after a network cut and misses nothing (automatic afterSeq)', async () => {
    const room = await stack.createRoom(['erin', 'finn']);
    const gateway = stack.gateways[0];
    if (!gateway) throw new Error('no gateway');
    const proxy = new TcpProxy('127.0.0.1', gateway.port);
    await proxy.listen();
    try {
      const { CoffeeChatClient } = await import('@coffeechat/client');
      const { default: WebSocket } = await import('ws');
      const erin = new CoffeeChatClient({
        url: `ws://127.0.0.1:${proxy.port}/ws`,
        token: () => tokenFor('erin'),
        WebSocket,
        backoff: { initialMs: 100, maxMs: 500 },
      });
      const seen: number[] = [];
      erin.on('message', (m) => seen.push(m.seq));
      await erin.connect();
      await erin.join(room.roomId);
      const finn = await stack.client('finn', 1);
      await finn.join(room.roomId);
      await finn.send(room.roomId, 'one');
      await eventually(() => expect(seen).toContain(1), 10_000);

      proxy.cut();
      await nextEvent(erin, 'disconnected', (d) => d);
      for (let i = 2; i <= 5; i++) await finn.send(room.roomId, `n${i}`);
      const pending = erin.send(room.roomId, 'sent while offline');
      proxy.restore();
      const ack = await pending;
      expect(ack.seq).toBe(6);
      await finn.send(room.roomId, 'after');
      await eventually(() => expect(seen).toContain(7), 15_000);
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
      erin.close();
    } finally {
      await proxy.close();
    }
  });
});

describe('authentication and origin (HTTP status before the upgrade)', () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it('answers 401 for a missing, expired, wrongly signed or alg:none token', async () => {
    const url = stack.wsUrl(0);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    expect(await RawSocket.handshakeStatus(url)).toBe(401);
    expect(await RawSocket.handshakeStatus(`${url}?token=${await tokenFor('u', { ttl: '-1m' })}`)).toBe(401);
    expect(
      await RawSocket.handshakeStatus(`${url}?token=${await tokenFor('u', { secret: 'not-the-secret-0123456789' })}`),
    ).toBe(401);
    expect(await RawSocket.handshakeStatus(`${url}?token=${none}`)).toBe(401);
    expect(await RawSocket.handshakeStatus(`${url}?token=garbage`)).toBe(401);
    expect(await RawSocket.handshakeStatus(url, { authorization: `Bearer ${await tokenFor('u')}` })).toBe(101);
  });

  it('answers 403 for an Origin outside ALLOWED_ORIGINS', async () => {
    const url = `${stack.wsUrl(1)}?token=${await tokenFor('u')}`;
    expect(await RawSocket.handshakeStatus(url, { origin: 'https://evil.example' })).toBe(403);
    expect(await RawSocket.handshakeStatus(url, { origin: ORIGIN })).toBe(101);
  });
});

describe('errors (the connection stays open) and limits', () => {
  it('BAD_REQUEST for frames that are not JSON, of unknown type or with wrong fields', async () => {
    const s = await open('gina');
    for (const bad of [
      'not json',
      '{"type":"shout"}',
      '{"type":"send","roomId":"r","clientMsgId":"c","body":5}',
      '[]',
    ]) {
      const from = s.frames.length;
      s.send(bad);
      expect(await s.next((f) => f.type === 'error', 10_000, from)).toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect(await s.request({ type: 'send', id: 'x', roomId: 'r', clientMsgId: 'c', body: '' })).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
      id: 'x',
    });
    expect(await s.request({ type: 'ping', id: 'still-open' })).toEqual({ type: 'pong', id: 'still-open' });
    s.close();
  });

  it('NOT_A_MEMBER for a room of others, NOT_JOINED for a send before join', async () => {
    const room = await stack.createRoom(['hank']);
    const s = await open('ivy');
    expect(await s.request({ type: 'join', id: 'j', roomId: room.roomId })).toMatchObject({
      type: 'error',
      code: 'NOT_A_MEMBER',
      roomId: room.roomId,
    });
    expect(await s.request({ type: 'send', id: 's', roomId: room.roomId, clientMsgId: 'c', body: 'x' })).toEqual({
      type: 'error',
      code: 'NOT_JOINED',
      message: expect.any(String),
      id: 's',
      roomId: room.roomId,
      clientMsgId: 'c',
    });
    s.close();
  });

  it('RATE_LIMITED above 20 sends or 5 typing frames a second on one connection', async () => {
    const room = await stack.createRoom(['jack']);
    const s = await open('jack');
    await s.request({ type: 'join', id: 'j', roomId: room.roomId });
    for (let i = 0; i < 30; i++)
      s.send({ type: 'send', id: `s${i}`, roomId: room.roomId, clientMsgId: `c${i}`, body: 'x' });
    for (let i = 0; i < 10; i++) s.send({ type: 'typing', id: `t${i}`, roomId: room.roomId });
    const isSendAnswer = (f: Frame) => typeof f.id === 'string' && f.id.startsWith('s');
    await eventually(() => expect(s.frames.filter(isSendAnswer)).toHaveLength(30), 15_000);
    const answers = s.frames.filter(isSendAnswer);
    const limited = answers.filter((f) => f.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThanOrEqual(10 - 1); // at most one window boundary inside the burst
    expect(answers.filter((f) => f.type === 'ack').length).toBeGreaterThanOrEqual(20);
    expect(limited[0]).toMatchObject({ type: 'error', roomId: room.roomId, clientMsgId: expect.any(String) });
    const typingLimited = () =>
      s.frames.filter((f) => typeof f.id === 'string' && f.id.startsWith('t') && f.code === 'RATE_LIMITED');
    await eventually(() => expect(typingLimited().length).toBeGreaterThanOrEqual(4), 5000);
    s.close();
  });

  it('accepts a 64 KiB frame and closes with 1009 (closing handshake) above it', async () => {
    const s = await open('kim');
    const ping = '{"type":"ping","id":"big"}';
    s.send(ping + ' '.repeat(64 * 1024 - ping.length));
    expect(await s.next((f) => f.id === 'big')).toEqual({ type: 'pong', id: 'big' });
    s.send(`{"type":"ping","id":"${'x'.repeat(64 * 1024)}"}`);
    expect((await s.whenClosed()).code).toBe(1009);
  });

  it('closes with 1008 on a binary frame and after more than 50 bad frames in a minute', async () => {
    const a = await open('lou');
    a.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
    expect((await a.whenClosed()).code).toBe(1008);
    const b = await open('lou');
    for (let i = 0; i < 50; i++) b.send('nope');
    await b.next((f) => f.type === 'error' && b.frames.filter((x) => x.type === 'error').length === 50);
    expect(b.closed).toBeUndefined();
    b.send('nope');
    expect((await b.whenClosed()).code).toBe(1008);
  });

  it('sends removed when the user is taken out of the room, and the room traffic stops', async () => {
    const room = await stack.createRoom(['mia', 'ned']);
    const mia = await open('mia', 0);
    const mia2 = await open('mia', 1);
    const ned = await stack.client('ned', 1);
    await ned.join(room.roomId);
    await mia.request({ type: 'join', id: 'j', roomId: room.roomId });
    await mia2.request({ type: 'join', id: 'j', roomId: room.roomId });
    await ned.send(room.roomId, 'before');
    await mia.next((f) => f.type === 'message');

    const res = await stack.admin('DELETE', `/rooms/${room.roomId}/members/mia`);
    expect(res.status).toBe(204);
    expect(await mia.next((f) => f.type === 'removed')).toEqual({ type: 'removed', roomId: room.roomId });
    expect(await mia2.next((f) => f.type === 'removed')).toEqual({ type: 'removed', roomId: room.roomId });
    await ned.send(room.roomId, 'after');
    expect(
      await mia.request({ type: 'send', id: 's', roomId: room.roomId, clientMsgId: 'c', body: 'x' }),
    ).toMatchObject({
      code: 'NOT_JOINED',
    });
    expect(await mia.request({ type: 'join', id: 'j2', roomId: room.roomId })).toMatchObject({ code: 'NOT_A_MEMBER' });
    expect(mia.frames.filter((f) => f.type === 'message')).toHaveLength(1);

    // Added back: the refusal the gateway remembered is dropped by the membership event.
    expect((await stack.admin('PUT', `/rooms/${room.roomId}/members/mia`)).status).toBe(204);
    const rejoined = await (async () => {
      for (let i = 0; ; i++) {
        const answer = await mia.request({ type: 'join', id: `again${i}`, roomId: room.roomId, afterSeq: 1 });
        if (answer.type === 'joined' || i >= 20) return answer;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    expect(rejoined).toMatchObject({ type: 'joined', lastSeq: 2 });
    expect(await mia.next((f) => f.type === 'message' && f.seq === 2)).toMatchObject({ body: 'after' });
    mia.close();
    mia2.close();
  });

  it('disconnects a client that stops reading once its send buffer passes the bound', async () => {
    const room = await stack.createRoom(['olga', 'pete']);
    const port = stack.gateways[1]?.port;
    const slow = await open('olga', 1); // gateway 1: 64 KiB send buffer
    await slow.request({ type: 'join', id: 'j', roomId: room.roomId });
    const pete = await open('pete', 1);
    await pete.request({ type: 'join', id: 'j', roomId: room.roomId });
    const connected = await scrapeSum(port, 'coffeechat_gateway_connections');
    // Olga stops reading: first the kernel's socket buffers fill (a few MB), then the gateway's.
    slow.ws.pause();
    const body = 'x'.repeat(4000);
    let sent = 0;
    const deadline = Date.now() + 90_000;
    while ((await scrapeSum(port, 'coffeechat_gateway_connections')) >= connected) {
      if (Date.now() > deadline) throw new Error(`slow reader still connected after ${sent} messages`);
      await Promise.all(
        Array.from({ length: 100 }, () => {
          sent += 1;
          return pete.request({ type: 'send', id: `b${sent}`, roomId: room.roomId, clientMsgId: `b${sent}`, body });
        }),
      );
    }
    slow.ws.resume();
    const closed = await slow.whenClosed(20_000);
    expect(closed.code).not.toBe(1000);
    expect(pete.closed).toBeUndefined();
    console.log(`[gateway e2e] slow reader disconnected after ${sent} messages of 4000 bytes`);
    pete.close();
  });
});

describe('operations endpoints', () => {
  it('serves /healthz, /readyz and the gateway metrics on the WebSocket port', async () => {
    const base = `http://127.0.0.1:${stack.gateways[0]?.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'coffeechat_gateway_connections',
      'coffeechat_gateway_frames_in_total{',
      'coffeechat_gateway_frames_out_total{',
      'coffeechat_gateway_errors_total{',
      'coffeechat_gateway_send_ack_seconds_bucket',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(metrics).toContain(name);
    }
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
