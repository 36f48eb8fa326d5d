/**
 * The probes of issue 13's table, run against real services the way a new user tried them, each now
 * refused as SPEC §2–§5 say; plus the limits and token rules they led to, end to end: the 11th WebSocket
 * of a user, the SDK refreshing its token through real expiries, and a member removed while a gateway's
 * broker link was down losing the room as soon as the link is back. docs/security.md quotes the figures.
 */

import { CoffeeChatClient } from '@coffeechat/client';
import {
  burst,
  ChatStack,
  eventually,
  RawSocket,
  rateLimitBreaches,
  sampleSum,
  scrapeMetrics,
  TcpProxy,
  tokenFor,
} from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const GRACE_SEC = 2;
let stack: ChatStack;
let proxy: TcpProxy;
let presencePort = 0;

beforeAll(async () => {
  const toBroker = await TcpProxy.toBroker();
  proxy = toBroker.proxy;
  stack = await ChatStack.start({
    label: 'probes',
    routers: 1,
    gateways: 1,
    gatewayEnv: () => ({ TOKEN_GRACE_SEC: String(GRACE_SEC) }),
  });
  // gateway 1 reaches the broker through a proxy the test cuts
  await stack.startGateway({ AMQP_URL: toBroker.amqpUrl, GATEWAY_BROKER_TIMEOUT_MS: '2000' });
  presencePort = (await stack.startService('presence')).port;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
}, 60_000);

const open = async (userId: string, gateway = 0, ttl?: string) =>
  RawSocket.open(stack.wsUrl(gateway), await tokenFor(userId, ttl ? { ttl } : {}));
const routerRpc = async () =>
  sampleSum(await scrapeMetrics(stack.routers[0]?.port ?? 0), 'coffeechat_router_rpc_requests_total');

describe('the probes of issue 13', () => {
  it('300 join frames for random rooms on one connection: 10 reach the router, 290 RATE_LIMITED; paced, the 51st refusal closes it (1008)', async () => {
    const mallory = await open('mallory');
    const before = await routerRpc();
    for (let i = 0; i < 300; i++) mallory.send({ type: 'join', id: `j${i}`, roomId: `random-${i}` });
    await mallory.next((f) => f.id === 'j299');
    await eventually(() => expect(mallory.frames.filter((f) => f.type === 'error')).toHaveLength(300), 10_000);
    const reached = (await routerRpc()) - before;
    const codes = mallory.frames.filter((f) => f.type === 'error').map((f) => String(f.code));
    const count = (code: string) => codes.filter((c) => c === code).length;
    console.log(
      `[probe] 300 joins at once: ${reached} reached the router, ${count('NOT_A_MEMBER')} NOT_A_MEMBER, ${count('RATE_LIMITED')} RATE_LIMITED`,
    );
    expect(reached).toBe(10);
    expect([count('NOT_A_MEMBER'), count('RATE_LIMITED')]).toEqual([10, 290]);
    expect(mallory.closed).toBeUndefined();
    // Paced at the join limit, every refusal is a bad frame: the 51st within the minute closes the connection.
    for (let second = 0; !mallory.closed && second < 10; second++) {
      for (let i = 0; i < 10; i++)
        mallory.send({ type: 'join', id: `p${second}-${i}`, roomId: `paced-${second}-${i}` });
      await new Promise((r) => setTimeout(r, 1050));
    }
    const closed = await mallory.whenClosed(5000);
    const refused = mallory.frames.filter((f) => f.code === 'NOT_A_MEMBER').length;
    console.log(
      `[probe] paced joins: closed ${closed.code} after ${refused} NOT_A_MEMBER; ${(await routerRpc()) - before} reached the router`,
    );
    expect(closed.code).toBe(1008);
    // The 51st refusal closes it; an answer the router sent in the same moment may be written before the
    // close (one clean-clone CI run saw 52), never a paced second's worth more.
    expect(refused).toBeGreaterThanOrEqual(51);
    expect(refused).toBeLessThan(51 + 10);
  });

  it('a non-member sending join then typing at once, five times: the member sees no typing frame', async () => {
    const room = await stack.createRoom(['ann', 'ben']);
    const ben = await open('ben');
    await ben.request({ type: 'join', id: 'j', roomId: room.roomId });
    const eve = await open('eve');
    for (let i = 0; i < 5; i++) {
      eve.send({ type: 'join', id: `j${i}`, roomId: room.roomId });
      eve.send({ type: 'typing', id: `t${i}`, roomId: room.roomId });
    }
    // the first join goes to the router; the four behind it find it in progress
    expect(await eve.next((f) => f.id === 'j0')).toMatchObject({ code: 'NOT_A_MEMBER' });
    const typingAnswers = eve.frames.filter((f) => String(f.id).startsWith('t')).map((f) => f.code);
    await new Promise((r) => setTimeout(r, 500));
    console.log(`[probe] non-member join+typing ×5: typing answered ${typingAnswers.join(',')}; member saw 0`);
    expect(typingAnswers).toEqual(Array(5).fill('NOT_JOINED'));
    expect(ben.frames.filter((f) => f.type === 'typing')).toEqual([]);
    ben.close();
    eve.close();
  });

  it('a WebSocket opened with a 5 s token, pinging: TOKEN_EXPIRED at exp, closed with 4001 TOKEN_GRACE_SEC later', async () => {
    const opened = Date.now();
    const ws = await open('pat', 0, '5s');
    const pinger = setInterval(() => ws.send({ type: 'ping' }), 1000);
    try {
      const expired = await ws.next((f) => f.code === 'TOKEN_EXPIRED', 10_000);
      const expiredAfter = Date.now() - opened;
      const closed = await ws.whenClosed(10_000);
      const closedAfter = Date.now() - opened;
      console.log(
        `[probe] 5 s token: TOKEN_EXPIRED after ${expiredAfter} ms, closed ${closed.code} after ${closedAfter} ms`,
      );
      expect(expired.type).toBe('error');
      expect(closed).toEqual({ code: 4001, reason: 'token expired' });
      expect(closedAfter).toBeLessThan((5 + GRACE_SEC + 1.5) * 1000);
      expect(ws.frames.filter((f) => f.type === 'pong').length).toBeGreaterThanOrEqual(3);
    } finally {
      clearInterval(pinger);
    }
  });

  it('400 concurrent GET /presence from one user: 50 answered, the rest 429 with Retry-After', async () => {
    const token = await tokenFor('quinn');
    const probe = await burst(400, () =>
      fetch(`http://127.0.0.1:${presencePort}/presence?userIds=ann`, { headers: { authorization: `Bearer ${token}` } }),
    );
    console.log(
      `[probe] 400 GET /presence: ${probe.admitted} × 200, ${probe.refused.length} × 429 (${probe.windows} window(s))`,
    );
    expect(await rateLimitBreaches(probe, 50)).toEqual([]);
  });

  it('GET /rooms/:id by a non-member: 404, the same answer as for a room that does not exist', async () => {
    const room = await stack.createRoom(['ann'], 'existing-room');
    const eve = await tokenFor('eve');
    const foreign = await stack.http(eve, 'GET', `/rooms/${room.roomId}`);
    const missing = await stack.http(eve, 'GET', '/rooms/missing-room');
    const [a, b] = [await foreign.json(), await missing.json()];
    console.log(`[probe] GET /rooms/:id non-member ${foreign.status} ${JSON.stringify(a)}; missing ${missing.status}`);
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(a).toEqual({ error: { code: 'NOT_FOUND', message: 'no room existing-room' } });
    expect(b).toEqual({ error: { code: 'NOT_FOUND', message: 'no room missing-room' } });
  });
});

describe('limits and tokens end to end', () => {
  it('refuses the 11th WebSocket of a user with 429 before the upgrade, and admits one again after a close', async () => {
    const token = await tokenFor('many');
    const sockets = await Promise.all(Array.from({ length: 10 }, () => RawSocket.open(stack.wsUrl(0), token)));
    const url = `${stack.wsUrl(0)}?token=${token}`;
    expect(await RawSocket.handshakeStatus(url)).toBe(429);
    // another user is not affected
    expect(await RawSocket.handshakeStatus(`${stack.wsUrl(0)}?token=${await tokenFor('other')}`)).toBe(101);
    sockets[0]?.close();
    await eventually(async () => expect(await RawSocket.handshakeStatus(url)).toBe(101), 5000, 100);
    for (const s of sockets) s.close();
  });

  it('the SDK keeps one connection alive across three 3 s tokens by refreshing ahead of exp', async () => {
    const room = await stack.createRoom(['rita', 'sam']);
    let minted = 0;
    const client = new CoffeeChatClient({
      url: stack.wsUrl(0),
      token: () => {
        minted += 1;
        return tokenFor('rita', { ttl: '3s' });
      },
      WebSocket,
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    const disconnects: number[] = [];
    client.on('disconnected', ({ code }) => disconnects.push(code));
    try {
      const hello = await client.connect();
      await client.join(room.roomId);
      await new Promise((r) => setTimeout(r, 9000));
      const ack = await client.send(room.roomId, 'still here');
      expect(ack.seq).toBe(1);
      expect(client.session?.connId).toBe(hello.connId);
      expect(disconnects).toEqual([]);
      expect(minted).toBeGreaterThanOrEqual(4);
      const refreshed = sampleSum(
        await scrapeMetrics(stack.gateways[0]?.port ?? 0),
        'coffeechat_gateway_frames_out_total',
        {
          type: 'refreshed',
        },
      );
      expect(refreshed).toBeGreaterThanOrEqual(3);
    } finally {
      client.close();
    }
  }, 30_000);

  it('a member removed while a gateway’s broker link is down loses the room as soon as the link is back', async () => {
    const room = await stack.createRoom(['uma', 'vic']);
    const uma = await open('uma', 0);
    const vic = await open('vic', 1); // behind the proxy
    await uma.request({ type: 'join', id: 'j', roomId: room.roomId });
    await vic.request({ type: 'join', id: 'j', roomId: room.roomId });
    proxy.cut();
    const readyz = `http://127.0.0.1:${stack.gateways[1]?.port}/readyz`;
    await eventually(async () => expect((await fetch(readyz)).status).toBe(503), 10_000, 100);
    // the membership.removed event is published while vic's gateway cannot receive it
    expect((await stack.admin('DELETE', `/rooms/${room.roomId}/members/vic`)).status).toBe(204);
    await uma.request({ type: 'send', id: 's1', roomId: room.roomId, clientMsgId: 'u1', body: 'while away' });
    proxy.restore();
    await vic.next((f) => f.type === 'removed' && f.roomId === room.roomId, 20_000);
    await uma.request({ type: 'send', id: 's2', roomId: room.roomId, clientMsgId: 'u2', body: 'after' });
    await new Promise((r) => setTimeout(r, 500));
    expect(vic.frames.filter((f) => f.type === 'message')).toEqual([]);
    expect(await vic.request({ type: 'typing', id: 't', roomId: room.roomId })).toMatchObject({ code: 'NOT_JOINED' });
    uma.close();
    vic.close();
  }, 60_000);
});
