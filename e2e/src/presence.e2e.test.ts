/**
 * Presence end to end (SPEC §4–§5): gateways, a router and presence as separate processes; clients
 * over WebSockets see co-members come and go, and `GET /presence` agrees.
 */
import { presenceTopology } from '@coffeechat/contracts';
import {
  ChatStack,
  deleteRedisKeys,
  type Frame,
  freePort,
  RawSocket,
  type ServiceProcess,
  servers,
  startService,
  tokenFor,
} from '@coffeechat/testkit';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TTL_SEC = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: ChatStack;
const presences: ServiceProcess[] = [];
const sockets: RawSocket[] = [];
let roomId: string;

async function startPresence(): Promise<ServiceProcess> {
  const replica = await startService('presence', await freePort(), {
    ...stack.env,
    REDIS_URL: servers.redisUrl,
    PRESENCE_TTL_SEC: String(TTL_SEC),
  });
  presences.push(replica);
  return replica;
}

async function connect(userId: string, gateway: number): Promise<RawSocket> {
  const socket = await RawSocket.open(stack.wsUrl(gateway), await tokenFor(userId));
  sockets.push(socket);
  return socket;
}

/** Connects and joins the room; returns the socket and its `joined` frame. */
async function member(userId: string, gateway: number): Promise<{ socket: RawSocket; joined: Frame }> {
  const socket = await connect(userId, gateway);
  const joined = await socket.request({ type: 'join', id: `j-${userId}`, roomId });
  expect(joined.type).toBe('joined');
  return { socket, joined };
}

const presenceOf = (socket: RawSocket, userId: string) =>
  socket.frames.filter((f) => f.type === 'presence' && f.userId === userId).map((f) => f.status);

async function waitPresence(socket: RawSocket, userId: string, status: string, timeoutMs: number, from = 0) {
  return socket.next((f) => f.type === 'presence' && f.userId === userId && f.status === status, timeoutMs, from);
}

async function httpPresence(userIds: string[]): Promise<Record<string, { status: string; lastSeen: number | null }>> {
  const replica = presences.find((p) => p.child.exitCode === null && p.child.signalCode === null);
  if (!replica) throw new Error('no presence running');
  const res = await fetch(`http://127.0.0.1:${replica.port}/presence?userIds=${userIds.join(',')}`, {
    headers: { authorization: `Bearer ${await tokenFor('observer')}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, { status: string; lastSeen: number | null }>;
}

function closeCleanly(socket: RawSocket): number {
  const at = Date.now();
  socket.ws.close(1000);
  return at;
}

beforeAll(async () => {
  stack = await ChatStack.start({
    label: 'presence',
    routers: 1,
    gateways: 2,
    gatewayEnv: () => ({ PRESENCE_TTL_SEC: String(TTL_SEC) }),
  });
  await startPresence();
  roomId = (await stack.createRoom(['alice', 'bob', 'carol', 'dave'])).roomId;
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await stack?.stop();
  await Promise.all(presences.map((p) => p.stop()));
  if (!stack) return;
  const names = presenceTopology(stack.namespace);
  const connection = await amqp.connect(servers.amqpUrl);
  for (const q of [names.inputQueue, names.deadQueue, names.rpcQueue]) {
    const ch = await connection.createChannel();
    await ch.deleteQueue(q).catch(() => undefined);
    await ch.close().catch(() => undefined);
  }
  for (const x of [names.inputExchange, names.deadLetterExchange, names.changesExchange]) {
    const ch = await connection.createChannel();
    await ch.deleteExchange(x).catch(() => undefined);
    await ch.close().catch(() => undefined);
  }
  await connection.close();
  await deleteRedisKeys(`{${stack.namespace}}:*`);
});

describe('presence end to end', () => {
  let bob: RawSocket;

  it('pushes online on connect to a co-member, and joined carries the members presence', async () => {
    const b = await member('bob', 0);
    bob = b.socket;
    expect(b.joined.presence).toEqual({ alice: 'offline', bob: 'online', carol: 'offline', dave: 'offline' });
    const alice = await connect('alice', 1);
    const online = await waitPresence(bob, 'alice', 'online', 5000);
    expect(online).toMatchObject({ type: 'presence', userId: 'alice', status: 'online', ts: expect.any(Number) });
    const joined = await alice.request({ type: 'join', id: 'ja', roomId });
    expect(joined.presence).toMatchObject({ alice: 'online', bob: 'online' });
    expect((await httpPresence(['alice', 'bob'])).alice?.status).toBe('online');
  });

  it('keeps a two-device user online until the last device closes, then offline within 1 s', async () => {
    const laptop = await connect('carol', 0);
    await waitPresence(bob, 'carol', 'online', 5000);
    const phone = await connect('carol', 1);
    closeCleanly(laptop);
    await sleep(1500);
    expect(presenceOf(bob, 'carol')).toEqual(['online']);
    expect((await httpPresence(['carol'])).carol?.status).toBe('online');
    const from = bob.frames.length;
    const closedAt = closeCleanly(phone);
    await waitPresence(bob, 'carol', 'offline', 3000, from);
    const elapsed = Date.now() - closedAt;
    console.info(`clean close → offline frame after ${elapsed} ms`);
    expect(elapsed).toBeLessThanOrEqual(1000);
    expect((await httpPresence(['carol'])).carol).toMatchObject({ status: 'offline', lastSeen: expect.any(Number) });
  });

  it('does not flap when a user reconnects right away', async () => {
    const start = bob.frames.length;
    const first = await connect('carol', 1);
    await waitPresence(bob, 'carol', 'online', 5000, start);
    const before = presenceOf(bob, 'carol').length;
    first.ws.close(1000);
    await sleep(150);
    await connect('carol', 0);
    await sleep(2500);
    expect(presenceOf(bob, 'carol').slice(before)).toEqual([]);
  });

  it('takes the users of a gateway killed with -9 offline within TTL + 5 s', async () => {
    const start = bob.frames.length;
    await connect('dave', 1);
    await waitPresence(bob, 'dave', 'online', 5000, start);
    const from = bob.frames.length;
    const killedAt = Date.now();
    await stack.gateways[1]!.kill(); // alice and dave were connected there
    await Promise.all([
      waitPresence(bob, 'dave', 'offline', (TTL_SEC + 5) * 1000, from),
      waitPresence(bob, 'alice', 'offline', (TTL_SEC + 5) * 1000, from),
    ]);
    const elapsed = Date.now() - killedAt;
    console.info(`gateway kill -9 → offline frames after ${elapsed} ms (TTL ${TTL_SEC} s)`);
    expect(elapsed).toBeLessThanOrEqual((TTL_SEC + 5) * 1000);
    // carol is on gateway 0 and stays online
    expect((await httpPresence(['alice', 'carol', 'dave'])).carol?.status).toBe('online');
  });

  it('keeps state and events right across a presence restart', async () => {
    await stack.startGateway({ PRESENCE_TTL_SEC: String(TTL_SEC) }); // gateway index 2
    const start = bob.frames.length;
    const dave = await member('dave', 2);
    await waitPresence(bob, 'dave', 'online', 5000, start);
    expect(dave.joined.presence).toMatchObject({ bob: 'online', carol: 'online', dave: 'online' });
    await presences.shift()!.kill();
    const from = bob.frames.length;
    const closedAt = closeCleanly(dave.socket);
    await sleep(1000);
    await startPresence();
    const offline = await waitPresence(bob, 'dave', 'offline', 10_000, from);
    console.info(
      `presence restart: offline frame ${Date.now() - closedAt} ms after the close (presence was down ~1 s)`,
    );
    expect(offline.status).toBe('offline');
    await sleep(TTL_SEC * 1000); // heartbeats keep the others online across the restart: no flap
    expect(presenceOf(bob, 'carol').slice(-1)).toEqual(['online']);
    expect(bob.frames.slice(from).filter((f) => f.type === 'presence' && f.userId !== 'dave')).toEqual([]);
    const state = await httpPresence(['bob', 'carol', 'dave']);
    expect([state.bob?.status, state.carol?.status, state.dave?.status]).toEqual(['online', 'online', 'offline']);
  });

  it('publishes each transition exactly once with two presence replicas', async () => {
    await startPresence();
    const from = bob.frames.length;
    for (let i = 0; i < 3; i++) {
      let mark = bob.frames.length;
      const dave = await connect('dave', i % 2 === 0 ? 0 : 2);
      await waitPresence(bob, 'dave', 'online', 5000, mark);
      mark = bob.frames.length;
      dave.ws.close(1000);
      await waitPresence(bob, 'dave', 'offline', 5000, mark);
    }
    await sleep(1500);
    const daves = bob.frames.slice(from).filter((f) => f.type === 'presence' && f.userId === 'dave');
    expect(daves.map((f) => f.status)).toEqual(['online', 'offline', 'online', 'offline', 'online', 'offline']);
  });
});
