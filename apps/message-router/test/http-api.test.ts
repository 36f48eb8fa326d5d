/** The chat HTTP API of SPEC §5 on a running router: every success path and every 4xx it promises. */
import { burst, eventually, rateLimitBreaches, tokenFor } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, createStack, type Stack, user } from './support.js';

let stack: Stack;
let adminToken: string;

beforeAll(async () => {
  stack = await createStack('http');
  await stack.startRouter({ ROOM_MAX_MEMBERS: '4' });
  adminToken = await admin();
});
afterAll(async () => {
  await stack?.stop();
});

const expectError = (
  res: { status: number; body?: { error?: { code: string; message: string; field?: string } } },
  status: number,
  code: string,
  field?: string,
) => {
  expect(res.status).toBe(status);
  expect(res.body?.error?.code).toBe(code);
  expect(typeof res.body?.error?.message).toBe('string');
  if (field) expect(res.body?.error?.field).toBe(field);
};

describe('rooms', () => {
  it('creates a room (admin) with a generated id, and shows it to members and admins', async () => {
    const created = await stack.http('POST', '/rooms', {
      token: adminToken,
      body: { memberIds: ['ann', 'ben'], title: 'Coffee', postId: 'post-1' },
    });
    expect(created.status).toBe(201);
    const room = created.body as { roomId: string; createdAt: string };
    expect(room).toMatchObject({ postId: 'post-1', title: 'Coffee', memberIds: ['ann', 'ben'], lastSeq: 0 });
    expect(room.roomId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Number.isNaN(Date.parse(room.createdAt))).toBe(false);
    expect(await stack.http('GET', `/rooms/${room.roomId}`, { token: await user('ann') })).toEqual({
      status: 200,
      body: room,
    });
    expect((await stack.http('GET', `/rooms/${room.roomId}`, { token: adminToken })).status).toBe(200);
    const minimal = await stack.http('POST', '/rooms', {
      token: adminToken,
      body: { roomId: 'minimal', memberIds: ['ann'] },
    });
    expect(minimal.body).toMatchObject({ roomId: 'minimal', postId: null, title: null });
  });

  it('adds and removes members idempotently (204), up to ROOM_MAX_MEMBERS', async () => {
    await stack.createRoom('members', ['a1']);
    for (const u of ['a2', 'a3', 'a4', 'a4']) {
      expect((await stack.http('PUT', `/rooms/members/members/${u}`, { token: adminToken })).status).toBe(204);
    }
    expectError(await stack.http('PUT', '/rooms/members/members/a5', { token: adminToken }), 409, 'CONFLICT');
    expect((await stack.http('DELETE', '/rooms/members/members/a2', { token: adminToken })).status).toBe(204);
    expect((await stack.http('DELETE', '/rooms/members/members/a2', { token: adminToken })).status).toBe(204);
    expect((await stack.http('PUT', '/rooms/members/members/a5', { token: adminToken })).status).toBe(204);
    const room = await stack.http('GET', '/rooms/members', { token: adminToken });
    expect(room.body?.memberIds).toEqual(['a1', 'a3', 'a4', 'a5']);
  });

  it('lists my rooms page by page with lastSeq, readSeq and unread (own messages count as read)', async () => {
    for (let i = 0; i < 5; i++)
      await stack.createRoom(`pager-${i}`, i === 0 ? ['pat', 'quinn', 'rae'] : ['pat', 'quinn']);
    await stack.createRoom('not-pats', ['quinn']);
    await stack.watch(['pager-0']);
    await stack.storeMessages('pager-0', 'quinn', 3, 'q');
    await stack.storeMessages('pager-0', 'pat', 1, 'p');
    stack.publish({ kind: 'read', roomId: 'pager-0', userId: 'rae', seq: 2 });
    await stack.confirmed();
    await eventually(() => expect(stack.frames('read', 'pager-0')).toHaveLength(1), 20_000);

    const pat = await user('pat');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await stack.http('GET', `/me/rooms?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: pat });
      expect(res.status).toBe(200);
      const body = res.body as unknown as { rooms: Array<{ roomId: string }>; nextCursor: string | null };
      expect(body.rooms.length).toBeLessThanOrEqual(2);
      seen.push(...body.rooms.map((r) => r.roomId));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['pager-0', 'pager-1', 'pager-2', 'pager-3', 'pager-4']);

    const all = async (u: string) =>
      (
        (await stack.http('GET', '/me/rooms', { token: await user(u) })).body as unknown as {
          rooms: Array<Record<string, unknown>>;
        }
      ).rooms;
    // quinn sent 1..3 and pat 4: a sender has read up to their own message; rae read up to 2
    expect((await all('pat')).find((r) => r.roomId === 'pager-0')).toMatchObject({ lastSeq: 4, readSeq: 4, unread: 0 });
    expect((await all('quinn')).find((r) => r.roomId === 'pager-0')).toMatchObject({
      lastSeq: 4,
      readSeq: 3,
      unread: 1,
    });
    expect((await all('rae')).find((r) => r.roomId === 'pager-0')).toMatchObject({ lastSeq: 4, readSeq: 2, unread: 2 });
    expect((await all('quinn')).find((r) => r.roomId === 'pager-1')).toMatchObject({
      lastSeq: 0,
      readSeq: 0,
      unread: 0,
    });
    expect(await all('nobody')).toEqual([]);
  });

  it('pages history in ascending seq with hasMore, backward from the newest or forward from afterSeq', async () => {
    await stack.createRoom('history', ['hal']);
    await stack.watch(['history']);
    await stack.storeMessages('history', 'hal', 30, 'h');
    const hal = await user('hal');
    const page = async (query: string) => {
      const res = await stack.http('GET', `/rooms/history/messages${query}`, { token: hal });
      expect(res.status).toBe(200);
      const body = res.body as unknown as {
        messages: Array<{
          seq: number;
          clientMsgId: string;
          body: string;
          senderId: string;
          roomId: string;
          ts: number;
        }>;
        hasMore: boolean;
      };
      return { seqs: body.messages.map((m) => m.seq), hasMore: body.hasMore, first: body.messages[0] };
    };
    const everything = await page('');
    expect(everything.seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(everything.hasMore).toBe(false);
    expect(everything.first).toMatchObject({
      roomId: 'history',
      seq: 1,
      senderId: 'hal',
      clientMsgId: 'h0',
      body: 'body h0',
    });
    expect(await page('?limit=10')).toMatchObject({ seqs: [21, 22, 23, 24, 25, 26, 27, 28, 29, 30], hasMore: true });
    expect(await page('?beforeSeq=21&limit=10')).toMatchObject({
      seqs: [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
      hasMore: true,
    });
    expect(await page('?beforeSeq=3')).toMatchObject({ seqs: [1, 2], hasMore: false });
    expect(await page('?afterSeq=25')).toMatchObject({ seqs: [26, 27, 28, 29, 30], hasMore: false });
    expect(await page('?afterSeq=0&limit=10')).toMatchObject({ seqs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], hasMore: true });
    expect(await page('?afterSeq=5&beforeSeq=9')).toMatchObject({ seqs: [6, 7, 8], hasMore: false });
    expect(await page('?limit=200')).toMatchObject({ hasMore: false });
  });
});

describe('every 4xx', () => {
  it('401 without a valid bearer token', async () => {
    expectError(await stack.http('GET', '/me/rooms'), 401, 'UNAUTHORIZED');
    expectError(await stack.http('GET', '/me/rooms', { token: 'not-a-jwt' }), 401, 'UNAUTHORIZED');
    expectError(
      await stack.http('GET', '/me/rooms', { token: await tokenFor('eve', { secret: 'x'.repeat(32) }) }),
      401,
      'UNAUTHORIZED',
    );
    expectError(await stack.http('POST', '/rooms', { body: { memberIds: ['a'] } }), 401, 'UNAUTHORIZED');
  });

  it('403 for non-admins on admin endpoints; 404 for a room the caller may not see, exactly as for a missing one', async () => {
    await stack.createRoom('private', ['ivy']);
    const eve = await user('eve');
    expectError(await stack.http('POST', '/rooms', { token: eve, body: { memberIds: ['eve'] } }), 403, 'FORBIDDEN');
    expectError(await stack.http('PUT', '/rooms/private/members/eve', { token: eve }), 403, 'FORBIDDEN');
    expectError(await stack.http('DELETE', '/rooms/private/members/ivy', { token: eve }), 403, 'FORBIDDEN');
    for (const path of ['/rooms/private', '/rooms/private/messages']) {
      const foreign = await stack.http('GET', path, { token: eve });
      const missing = await stack.http('GET', path.replace('private', 'nowhere'), { token: eve });
      expectError(foreign, 404, 'NOT_FOUND');
      expect(foreign.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no room private' } });
      expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no room nowhere' } });
    }
    expectError(await stack.http('GET', '/admin/dead-letters', { token: eve }), 403, 'FORBIDDEN');
    expectError(await stack.http('POST', '/admin/dead-letters/replay', { token: eve, body: {} }), 403, 'FORBIDDEN');
  });

  it('404 for rooms that do not exist and for unknown routes', async () => {
    expectError(await stack.http('GET', '/rooms/missing', { token: adminToken }), 404, 'NOT_FOUND');
    expectError(await stack.http('GET', '/rooms/missing/messages', { token: await user('ann') }), 404, 'NOT_FOUND');
    expectError(await stack.http('PUT', '/rooms/missing/members/ann', { token: adminToken }), 404, 'NOT_FOUND');
    expectError(await stack.http('DELETE', '/rooms/missing/members/ann', { token: adminToken }), 404, 'NOT_FOUND');
    expectError(await stack.http('GET', '/no/such/route', { token: adminToken }), 404, 'NOT_FOUND');
  });

  it('409 for an existing room id and for a full room', async () => {
    await stack.createRoom('taken', ['a', 'b', 'c', 'd']);
    expectError(
      await stack.http('POST', '/rooms', { token: adminToken, body: { roomId: 'taken', memberIds: ['x'] } }),
      409,
      'CONFLICT',
    );
    expectError(await stack.http('PUT', '/rooms/taken/members/e', { token: adminToken }), 409, 'CONFLICT');
  });

  it.each([
    ['an unknown body field', { roomId: 'v1', memberIds: ['a'], colour: 'red' }, 'colour'],
    ['no members', { memberIds: [] }, 'memberIds'],
    ['more members than ROOM_MAX_MEMBERS', { memberIds: ['a', 'b', 'c', 'd', 'e'] }, 'memberIds'],
    ['repeated members', { memberIds: ['a', 'a'] }, 'memberIds'],
    ['a room id with spaces', { roomId: 'a b', memberIds: ['a'] }, 'roomId'],
    ['a title of the wrong type', { memberIds: ['a'], title: 5 }, 'title'],
  ])('400 naming the field for POST /rooms with %s', async (_name, body, field) => {
    const res = await stack.http('POST', '/rooms', { token: adminToken, body });
    expectError(res, 400, 'BAD_REQUEST', field);
    expect(res.body?.error?.message).toContain(field);
  });

  it('429 with Retry-After past 50 requests a second of one user (SPEC §2); other users go on', async () => {
    const eager = await user('eager');
    const eagerBurst = await burst(70, () =>
      fetch(`http://127.0.0.1:${stack.port}/me/rooms`, { headers: { authorization: `Bearer ${eager}` } }),
    );
    expect(await rateLimitBreaches(eagerBurst, 50)).toEqual([]);
    expect((await stack.http('GET', '/me/rooms', { token: await user('calm') })).status).toBe(200);
  });

  it('400 for a body that is not JSON', async () => {
    expectError(await stack.http('POST', '/rooms', { token: adminToken, raw: '{"memberIds":' }), 400, 'BAD_REQUEST');
  });

  it.each([
    ['/me/rooms?page=2', 'page'],
    ['/me/rooms?limit=201', 'limit'],
    ['/me/rooms?limit=0', 'limit'],
    ['/me/rooms?limit=ten', 'limit'],
    ['/me/rooms?cursor=%2F%2F', 'cursor'],
    ['/me/rooms?limit=1&limit=2', 'limit'],
    ['/rooms/history/messages?since=3', 'since'],
    ['/rooms/history/messages?limit=201', 'limit'],
    ['/rooms/history/messages?beforeSeq=-1', 'beforeSeq'],
    ['/rooms/history/messages?afterSeq=1.5', 'afterSeq'],
    ['/rooms/a%20b/messages', 'roomId'],
    ['/admin/dead-letters?limit=500', 'limit'],
    ['/admin/dead-letters?all=1', 'all'],
  ])('400 naming the field for GET %s', async (path, field) => {
    const res = await stack.http('GET', path, { token: path.startsWith('/admin') ? adminToken : await user('hal') });
    expectError(res, 400, 'BAD_REQUEST', field);
  });

  it('400 for a replay body with unknown fields or a bad limit, and for a bad user id', async () => {
    expectError(
      await stack.http('POST', '/admin/dead-letters/replay', { token: adminToken, body: { everything: true } }),
      400,
      'BAD_REQUEST',
      'everything',
    );
    expectError(
      await stack.http('POST', '/admin/dead-letters/replay', { token: adminToken, body: { limit: 0 } }),
      400,
      'BAD_REQUEST',
      'limit',
    );
    expectError(
      await stack.http('PUT', '/rooms/taken/members/a%20b', { token: adminToken }),
      400,
      'BAD_REQUEST',
      'userId',
    );
  });
});

describe('operations', () => {
  it('answers /healthz, /readyz and /metrics with the router families and no id labels', async () => {
    expect((await stack.http('GET', '/healthz')).status).toBe(200);
    expect(await stack.http('GET', '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
    const text = await (await fetch(`http://127.0.0.1:${stack.port}/metrics`)).text();
    for (const family of [
      'coffeechat_router_batch_size',
      'coffeechat_router_messages_stored_total',
      'coffeechat_router_redeliveries_total',
      'coffeechat_router_dead_letters_total',
      'coffeechat_router_store_latency_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${family}`);
    }
    expect(text).not.toMatch(/(roomId|userId|room_id|user_id)=/);
  });
});
