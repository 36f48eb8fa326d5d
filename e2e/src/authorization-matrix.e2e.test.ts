/**
 * The authorization matrix of issue 13 against real services (router, presence, feed, gateway as
 * processes): every HTTP endpoint × {no token, expired, wrong algorithm, other user, member, admin},
 * and every WebSocket frame × {not joined, joining, joined, removed, token expired}, each with the
 * status or error code SPEC §3–§5 give. The tables below are the expectations; docs/security.md shows them.
 */
import { createHmac } from 'node:crypto';
import { ChatStack, type Frame, RawSocket, TEST_JWT_SECRET, tokenFor } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A connection whose token expired is closed this long after `exp` (short, for the test). */
const GRACE_SEC = 2;
let stack: ChatStack;
let presencePort = 0;
let feedPort = 0;

beforeAll(async () => {
  stack = await ChatStack.start({
    label: 'authz',
    routers: 1,
    gateways: 1,
    // every frame of the matrix on few connections: the join budget is not what this suite measures
    gatewayEnv: () => ({ TOKEN_GRACE_SEC: String(GRACE_SEC), GATEWAY_JOINS_PER_SEC: '1000' }),
  });
  presencePort = (await stack.startService('presence')).port;
  feedPort = (await stack.startService('feed')).port;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

// ---- tokens ----

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A JWT with these claims, signed with the development secret under `alg` (HS256 valid, others refused). */
function signed(alg: 'HS256' | 'HS384', claims: Record<string, unknown>): string {
  const body = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  const mac = createHmac(alg === 'HS256' ? 'sha256' : 'sha384', TEST_JWT_SECRET)
    .update(body)
    .digest('base64url');
  return `${body}.${mac}`;
}
const nowSec = () => Math.floor(Date.now() / 1000);

type Caller = 'none' | 'expired' | 'wrongAlg' | 'other' | 'member' | 'admin';
const CALLERS: Caller[] = ['none', 'expired', 'wrongAlg', 'other', 'member', 'admin'];

/** The Authorization header of each caller; `member` is ann (member of the room, author of the post). */
async function authorization(caller: Caller): Promise<Record<string, string>> {
  switch (caller) {
    case 'none':
      return {};
    case 'expired':
      // past exp by more than the clock tolerance (30 s)
      return { authorization: `Bearer ${signed('HS256', { sub: 'ann', iat: nowSec() - 600, exp: nowSec() - 120 })}` };
    case 'wrongAlg':
      return { authorization: `Bearer ${signed('HS384', { sub: 'ann', iat: nowSec(), exp: nowSec() + 600 })}` };
    case 'other':
      return { authorization: `Bearer ${await tokenFor('mallory')}` };
    case 'member':
      return { authorization: `Bearer ${await tokenFor('ann')}` };
    case 'admin':
      return { authorization: `Bearer ${await tokenFor('ops', { admin: true })}` };
  }
}

// ---- HTTP ----

interface Fixture {
  roomId: string;
  postId: string;
}

interface Endpoint {
  service: 'router' | 'presence' | 'feed';
  method: string;
  path: (f: Fixture) => string;
  body?: unknown;
  /** made fresh before each call (a post to delete) */
  prepare?: (f: Fixture) => Promise<Fixture>;
  /** expected status for other user, member, admin (no token, expired, wrong algorithm: 401) */
  expect: [other: number, member: number, admin: number];
}

const post = { title: 'Coffee?', body: 'Let us talk about queues', tags: ['rabbitmq'] };

async function createPost(): Promise<string> {
  const res = await stack.http(await tokenFor('ann'), 'POST', '/posts', post, feedPort);
  expect(res.status).toBe(201);
  return ((await res.json()) as { postId: string }).postId;
}

const ENDPOINTS: Endpoint[] = [
  {
    service: 'router',
    method: 'POST',
    path: () => '/rooms',
    body: { memberIds: ['ann', 'ben'] },
    expect: [403, 403, 201],
  },
  // a room the caller may not see is 404, exactly as a missing one (SPEC §5)
  { service: 'router', method: 'GET', path: (f) => `/rooms/${f.roomId}`, expect: [404, 200, 200] },
  { service: 'router', method: 'PUT', path: (f) => `/rooms/${f.roomId}/members/cat`, expect: [403, 403, 204] },
  { service: 'router', method: 'DELETE', path: (f) => `/rooms/${f.roomId}/members/cat`, expect: [403, 403, 204] },
  { service: 'router', method: 'GET', path: () => '/me/rooms', expect: [200, 200, 200] },
  // history is for members; an admin token reads none
  { service: 'router', method: 'GET', path: (f) => `/rooms/${f.roomId}/messages`, expect: [404, 200, 404] },
  { service: 'router', method: 'GET', path: () => '/admin/dead-letters', expect: [403, 403, 200] },
  { service: 'router', method: 'POST', path: () => '/admin/dead-letters/replay', body: {}, expect: [403, 403, 200] },
  { service: 'presence', method: 'GET', path: () => '/presence?userIds=ann,ben', expect: [200, 200, 200] },
  { service: 'feed', method: 'POST', path: () => '/posts', body: post, expect: [201, 201, 201] },
  { service: 'feed', method: 'GET', path: (f) => `/posts/${f.postId}`, expect: [200, 200, 200] },
  // posts are public: a stranger's edit is 403 (their existence is no secret)
  {
    service: 'feed',
    method: 'PATCH',
    path: (f) => `/posts/${f.postId}`,
    body: { title: 'Tea?' },
    expect: [403, 200, 200],
  },
  {
    service: 'feed',
    method: 'DELETE',
    path: (f) => `/posts/${f.postId}`,
    prepare: async (f) => ({ ...f, postId: await createPost() }),
    expect: [403, 204, 204],
  },
  { service: 'feed', method: 'PUT', path: (f) => `/posts/${f.postId}/like`, expect: [204, 204, 204] },
  { service: 'feed', method: 'DELETE', path: (f) => `/posts/${f.postId}/like`, expect: [204, 204, 204] },
  { service: 'feed', method: 'GET', path: () => '/feed', expect: [200, 200, 200] },
  { service: 'feed', method: 'GET', path: () => '/posts/popular?window=1h', expect: [200, 200, 200] },
  { service: 'feed', method: 'GET', path: () => '/rankings/authors?window=24h', expect: [200, 200, 200] },
  { service: 'feed', method: 'GET', path: () => '/rankings/tags?window=24h', expect: [200, 200, 200] },
];

function expected(endpoint: Endpoint, caller: Caller): number {
  if (caller === 'none' || caller === 'expired' || caller === 'wrongAlg') return 401;
  return endpoint.expect[caller === 'other' ? 0 : caller === 'member' ? 1 : 2];
}

describe('HTTP authorization matrix', () => {
  it('answers every endpoint × caller with the status of SPEC §3 and §5', async () => {
    const room = await stack.createRoom(['ann', 'ben']);
    const fixture: Fixture = { roomId: room.roomId, postId: await createPost() };
    const ports = { router: stack.routers[0]?.port ?? 0, presence: presencePort, feed: feedPort };
    const got: string[] = [];
    const want: string[] = [];
    for (const endpoint of ENDPOINTS) {
      for (const caller of CALLERS) {
        const f = endpoint.prepare ? await endpoint.prepare(fixture) : fixture;
        const res = await fetch(`http://127.0.0.1:${ports[endpoint.service]}${endpoint.path(f)}`, {
          method: endpoint.method,
          headers: { ...(await authorization(caller)), 'content-type': 'application/json' },
          ...(endpoint.body !== undefined ? { body: JSON.stringify(endpoint.body) } : {}),
        });
        const row = `${endpoint.service} ${endpoint.method} ${endpoint.path({ roomId: ':roomId', postId: ':postId' })} × ${caller}`;
        got.push(`${row} → ${res.status}`);
        want.push(`${row} → ${expected(endpoint, caller)}`);
        if (res.status >= 400) {
          const body = (await res.json()) as { error?: { code?: string } };
          expect(body.error?.code, row).toEqual(expect.any(String));
        } else await res.arrayBuffer();
      }
    }
    expect(got).toEqual(want);
  });
});

// ---- WebSocket ----

type FrameType = 'join' | 'leave' | 'send' | 'typing' | 'read' | 'refresh' | 'ping';
type State = 'not joined' | 'joining' | 'joined' | 'removed' | 'token expired';
/** what answers the frame: a frame type, an error code, or nothing (typing and read markers are not answered) */
type Outcome = 'joined' | 'left' | 'ack' | 'refreshed' | 'pong' | 'none' | `error ${string}`;

const WS_MATRIX: Record<State, Record<FrameType, Outcome>> = {
  'not joined': {
    join: 'joined',
    leave: 'left',
    send: 'error NOT_JOINED',
    typing: 'error NOT_JOINED',
    read: 'error NOT_JOINED',
    refresh: 'refreshed',
    ping: 'pong',
  },
  // the frame follows the join before the router answered it
  joining: {
    join: 'error BAD_REQUEST',
    leave: 'left',
    send: 'ack', // a send may go with the join (the router checks membership); typing and read wait for joined
    typing: 'error NOT_JOINED',
    read: 'error NOT_JOINED',
    refresh: 'refreshed',
    ping: 'pong',
  },
  joined: {
    join: 'joined',
    leave: 'left',
    send: 'ack',
    typing: 'none',
    read: 'none',
    refresh: 'refreshed',
    ping: 'pong',
  },
  removed: {
    join: 'error NOT_A_MEMBER',
    leave: 'left',
    send: 'error NOT_JOINED',
    typing: 'error NOT_JOINED',
    read: 'error NOT_JOINED',
    refresh: 'refreshed',
    ping: 'pong',
  },
  'token expired': {
    join: 'error TOKEN_EXPIRED',
    leave: 'error TOKEN_EXPIRED',
    send: 'error TOKEN_EXPIRED',
    typing: 'error TOKEN_EXPIRED',
    read: 'error TOKEN_EXPIRED',
    refresh: 'refreshed',
    ping: 'pong',
  },
};
/** `join` and `leave` change the room state, `refresh` the token's: they go last */
const FRAME_ORDER: FrameType[] = ['ping', 'send', 'typing', 'read', 'refresh', 'join', 'leave'];
const EXPIRED_ORDER: FrameType[] = ['ping', 'send', 'typing', 'read', 'join', 'leave', 'refresh'];

let counter = 0;
async function frameOf(type: FrameType, roomId: string, userId: string): Promise<Frame & { id: string }> {
  const id = `${type}-${++counter}`;
  switch (type) {
    case 'join':
    case 'leave':
    case 'typing':
      return { type, id, roomId };
    case 'send':
      return { type, id, roomId, clientMsgId: id, body: 'hi' };
    case 'read':
      return { type, id, roomId, seq: 1 };
    case 'refresh':
      return { type, id, token: await tokenFor(userId) };
    case 'ping':
      return { type, id };
  }
}

/** What answered the frame with this id: up to 5 s for an answer, 600 ms of quiet when none is expected. */
async function outcomeOf(socket: RawSocket, id: string, from: number, expected: Outcome): Promise<Outcome> {
  const reply = await socket.next((f) => f.id === id, expected === 'none' ? 600 : 5000, from).catch(() => undefined);
  if (!reply) return 'none';
  return reply.type === 'error' ? `error ${String(reply.code)}` : (reply.type as Outcome);
}

const open = async (userId: string, ttl?: string) =>
  RawSocket.open(stack.wsUrl(0), await tokenFor(userId, ttl ? { ttl } : {}));

describe('WebSocket authorization matrix', () => {
  it('answers every frame × state as SPEC §3 and §4 say', async () => {
    const room = await stack.createRoom(['ann', 'ben', 'cat']);
    const { roomId } = room;
    // ben watches the room: typing from ann must reach him exactly when it is allowed
    const ben = await open('ben');
    await ben.request({ type: 'join', id: 'b', roomId });
    const seed = await open('ann');
    await seed.request({ type: 'join', id: 's', roomId });
    await seed.request({ type: 'send', id: 'm1', roomId, clientMsgId: 'seed', body: 'seq 1' });
    seed.close();

    const got: Record<string, Outcome> = {};
    const want: Record<string, Outcome> = {};
    const record = (state: State, type: FrameType, outcome: Outcome) => {
      got[`${state} × ${type}`] = outcome;
      want[`${state} × ${type}`] = WS_MATRIX[state][type];
    };

    // not joined, joined: one connection each, the frames in an order that keeps the state
    for (const state of ['not joined', 'joined'] as const) {
      const ann = await open('ann');
      if (state === 'joined') await ann.request({ type: 'join', id: 'j0', roomId });
      for (const type of FRAME_ORDER) {
        const from = ann.frames.length;
        const typingBefore = ben.frames.filter((f) => f.type === 'typing').length;
        const frame = await frameOf(type, roomId, 'ann');
        ann.send(frame);
        record(state, type, await outcomeOf(ann, frame.id, from, WS_MATRIX[state][type]));
        if (type === 'typing') {
          const reached = ben.frames.filter((f) => f.type === 'typing').length > typingBefore;
          expect(reached, `${state}: typing reaches the members`).toBe(state === 'joined');
        }
      }
      ann.close();
    }

    // joining: each frame right behind a join, on a connection of its own
    for (const type of FRAME_ORDER) {
      const ann = await open('ann');
      const frame = await frameOf(type, roomId, 'ann');
      ann.send({ type: 'join', id: 'j', roomId });
      ann.send(frame);
      record('joining', type, await outcomeOf(ann, frame.id, 0, WS_MATRIX.joining[type]));
      ann.close();
    }

    // removed: cat joined, then removed by an admin; her connection gets `removed` and no more room traffic
    const cat = await open('cat');
    await cat.request({ type: 'join', id: 'j', roomId });
    expect((await stack.admin('DELETE', `/rooms/${roomId}/members/cat`)).status).toBe(204);
    await cat.next((f) => f.type === 'removed' && f.roomId === roomId);
    for (const type of FRAME_ORDER) {
      const from = cat.frames.length;
      const frame = await frameOf(type, roomId, 'cat');
      cat.send(frame);
      record('removed', type, await outcomeOf(cat, frame.id, from, WS_MATRIX.removed[type]));
    }
    const after = await open('ben');
    await after.request({ type: 'join', id: 'j', roomId });
    await after.request({ type: 'send', id: 'x', roomId, clientMsgId: 'after-removal', body: 'not for cat' });
    await ben.next((f) => f.type === 'message' && f.clientMsgId === 'after-removal');
    expect(cat.frames.filter((f) => f.type === 'message' && f.clientMsgId === 'after-removal')).toEqual([]);
    after.close();

    // token expired: a 2 s token; at exp the gateway says TOKEN_EXPIRED, then answers every frame but
    // ping and refresh with it; a refresh with a new token for the same user brings the connection back
    const ann = await open('ann', '2s');
    await ann.request({ type: 'join', id: 'j', roomId });
    const notice = await ann.next((f) => f.type === 'error' && f.code === 'TOKEN_EXPIRED', 5000);
    expect(notice.id).toBeUndefined();
    for (const type of EXPIRED_ORDER) {
      const from = ann.frames.length;
      const frame = await frameOf(type, roomId, 'ann');
      ann.send(frame);
      record('token expired', type, await outcomeOf(ann, frame.id, from, WS_MATRIX['token expired'][type]));
    }
    expect(
      await ann.request({ type: 'send', id: 'back', roomId, clientMsgId: 'back', body: 'refreshed' }),
    ).toMatchObject({
      type: 'ack',
    });
    ann.close();

    expect(got).toEqual(want);
    ben.close();
  }, 90_000);

  it('a refresh with a bad token or another user’s gets UNAUTHORIZED and changes nothing; unrefreshed, 4001 after the grace', async () => {
    const ann = await open('ann', '2s');
    const bad = await ann.request({ type: 'refresh', id: 'bad', token: 'not-a-jwt' });
    const other = await ann.request({ type: 'refresh', id: 'other', token: await tokenFor('ben') });
    expect([bad.code, other.code]).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED']);
    const exp = nowSec() + 2;
    const closed = await ann.whenClosed(10_000);
    expect(closed).toEqual({ code: 4001, reason: 'token expired' });
    // closed at exp + grace (whole seconds), not before
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(exp - 1 + GRACE_SEC);
    expect(ann.frames.filter((f) => f.type === 'error').map((f) => f.code)).toEqual([
      'UNAUTHORIZED',
      'UNAUTHORIZED',
      'TOKEN_EXPIRED',
    ]);
  });
});
