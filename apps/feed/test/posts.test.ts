/** Posts, likes, views and every bad-input case of SPEC §5 feed, against real Redis and MongoDB-wire. */
import { removeFeedNamespace, tokenFor } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, clientFor, createPost, startTestFeed, type TestFeed, userClient } from './helpers.js';

let t: TestFeed;
let ann: Client;
let bob: Client;
let admin: Client;

beforeAll(async () => {
  t = await startTestFeed();
  ann = await userClient(t.url, 'ann');
  bob = await userClient(t.url, 'bob');
  admin = await userClient(t.url, 'root', true);
});

afterAll(async () => {
  await t?.close();
  if (t) await removeFeedNamespace(t.ns);
});

describe('posts', () => {
  it('creates a post and reads it back with counters; tags are lower-cased once each', async () => {
    const created = await ann.post('/posts', { title: 'Go vs Rust', body: 'let us talk', tags: ['Go', 'rust', 'go'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      authorId: 'ann',
      title: 'Go vs Rust',
      body: 'let us talk',
      tags: ['go', 'rust'],
      views: 0,
      likes: 0,
      chats: 0,
      rooms: 0,
    });
    expect(created.body.postId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(Date.parse(created.body.createdAt)).not.toBeNaN();
    const read = await bob.get(`/posts/${created.body.postId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ postId: created.body.postId, views: 1 });
  });

  it('counts a view at most once per user and hour', async () => {
    const post = await createPost(ann);
    expect((await bob.get(`/posts/${post.postId}`)).body.views).toBe(1);
    expect((await bob.get(`/posts/${post.postId}`)).body.views).toBe(1);
    expect((await ann.get(`/posts/${post.postId}`)).body.views).toBe(2);
    expect((await bob.get(`/posts/${post.postId}`)).body.views).toBe(2);
  });

  it('lets the author or an admin edit and delete, nobody else (403)', async () => {
    const post = await createPost(ann, { title: 'first' });
    const forbidden = await bob.patch(`/posts/${post.postId}`, { title: 'mine now' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
    expect((await bob.del(`/posts/${post.postId}`)).status).toBe(403);

    const edited = await ann.patch(`/posts/${post.postId}`, { title: 'second', tags: ['TS'] });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ title: 'second', body: post.body, tags: ['ts'] });
    expect(Date.parse(edited.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(post.updatedAt));
    expect((await admin.patch(`/posts/${post.postId}`, { body: 'moderated' })).body.body).toBe('moderated');

    expect((await admin.del(`/posts/${post.postId}`)).status).toBe(204);
    expect((await ann.get(`/posts/${post.postId}`)).status).toBe(404);
    const other = await createPost(ann);
    expect((await ann.del(`/posts/${other.postId}`)).status).toBe(204);
    expect((await ann.del(`/posts/${other.postId}`)).status).toBe(404);
  });

  it('likes are idempotent both ways', async () => {
    const post = await createPost(ann);
    const path = `/posts/${post.postId}/like`;
    expect((await bob.put(path)).status).toBe(204);
    expect((await bob.put(path)).status).toBe(204);
    expect((await ann.put(path)).status).toBe(204);
    expect((await bob.get(`/posts/${post.postId}`)).body.likes).toBe(2);
    expect((await bob.del(path)).status).toBe(204);
    expect((await bob.del(path)).status).toBe(204);
    expect((await bob.get(`/posts/${post.postId}`)).body.likes).toBe(1);
    const res = await Promise.all(Array.from({ length: 10 }, () => bob.put(path)));
    expect(res.map((r) => r.status)).toEqual(Array(10).fill(204));
    expect((await bob.get(`/posts/${post.postId}`)).body.likes).toBe(2);
  });

  it('ranks posts, authors and tags by engagement', async () => {
    const hot = await createPost(await userClient(t.url, 'carol'), { title: 'hot', tags: ['hot-topic'] });
    const cold = await createPost(await userClient(t.url, 'dave'), { title: 'cold', tags: ['hot-topic'] });
    for (const u of ['u1', 'u2', 'u3'])
      expect((await (await userClient(t.url, u)).put(`/posts/${hot.postId}/like`)).status).toBe(204);
    await (await userClient(t.url, 'u1')).put(`/posts/${cold.postId}/like`);

    const popular = await ann.get('/posts/popular?window=1h&tag=HOT-TOPIC&limit=5');
    expect(popular.status).toBe(200);
    expect(popular.body.window).toBe('1h');
    expect(popular.body.tag).toBe('hot-topic');
    expect(popular.body.posts.map((p: { postId: string }) => p.postId)).toEqual([hot.postId, cold.postId]);
    expect(popular.body.posts[0].score).toBeGreaterThan(popular.body.posts[1].score);
    expect(popular.body.posts[0]).toMatchObject({ title: 'hot', likes: 3 });

    const overall = await ann.get('/posts/popular');
    expect(overall.body.window).toBe('24h');
    expect(overall.body.tag).toBeNull();
    expect(overall.body.posts.length).toBeGreaterThanOrEqual(2);

    const authors = await ann.get('/rankings/authors?window=7d');
    expect(authors.status).toBe(200);
    expect(authors.body.window).toBe('7d');
    const authorIds = authors.body.authors.map((a: { authorId: string }) => a.authorId);
    expect(authorIds.indexOf('carol')).toBeGreaterThanOrEqual(0);
    expect(authorIds.indexOf('carol')).toBeLessThan(authorIds.indexOf('dave'));
    const tags = await ann.get('/rankings/tags?limit=3');
    expect(tags.body.window).toBe('24h');
    expect(tags.body.tags.map((x: { tag: string }) => x.tag)).toContain('hot-topic');
    expect(tags.body.tags.length).toBeLessThanOrEqual(3);
  });
});

describe('bad input', () => {
  const field = (reply: { status: number; body: { error: { code: string; field?: string } } }) => [
    reply.status,
    reply.body.error.code,
    reply.body.error.field,
  ];

  it.each([
    ['no title', { body: 'b' }, 'title'],
    ['empty title', { title: '', body: 'b' }, 'title'],
    ['blank title', { title: '   ', body: 'b' }, 'title'],
    ['title too long', { title: 'x'.repeat(121), body: 'b' }, 'title'],
    ['no body', { title: 't' }, 'body'],
    ['body too long', { title: 't', body: 'x'.repeat(5001) }, 'body'],
    ['title not a string', { title: 5, body: 'b' }, 'title'],
    ['six tags', { title: 't', body: 'b', tags: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'tags'],
    ['tag too long', { title: 't', body: 'b', tags: ['x'.repeat(31)] }, 'tags.0'],
    ['empty tag', { title: 't', body: 'b', tags: ['ok', ''] }, 'tags.1'],
    ['tag with a space', { title: 't', body: 'b', tags: ['a b'] }, 'tags.0'],
    ['tags not a list', { title: 't', body: 'b', tags: 'go' }, 'tags'],
    ['unknown field', { title: 't', body: 'b', pinned: true }, 'pinned'],
  ])('POST /posts with %s → 400 naming the field', async (_name, body, name) => {
    expect(field(await ann.post('/posts', body))).toEqual([400, 'BAD_REQUEST', name]);
  });

  it('POST /posts with a body that is not a JSON object → 400', async () => {
    expect((await ann.call('POST', '/posts', undefined, '{"title":')).status).toBe(400);
    expect((await ann.post('/posts', ['title'])).status).toBe(400);
    expect((await ann.call('POST', '/posts')).status).toBe(400);
  });

  it('PATCH with nothing to change, an unknown field or a bad value → 400', async () => {
    const post = await createPost(ann);
    expect((await ann.patch(`/posts/${post.postId}`, {})).status).toBe(400);
    expect(field(await ann.patch(`/posts/${post.postId}`, { authorId: 'bob' }))).toEqual([
      400,
      'BAD_REQUEST',
      'authorId',
    ]);
    expect(field(await ann.patch(`/posts/${post.postId}`, { title: '' }))).toEqual([400, 'BAD_REQUEST', 'title']);
  });

  it.each([
    ['/feed?cursor=not-a-cursor', 'cursor'],
    [`/feed?cursor=${Buffer.from('12.a b').toString('base64url')}`, 'cursor'],
    ['/feed?limit=0', 'limit'],
    ['/feed?limit=101', 'limit'],
    ['/feed?limit=ten', 'limit'],
    ['/feed?page=2', 'page'],
    ['/posts/popular?window=2h', 'window'],
    ['/posts/popular?window=', 'window'],
    ['/posts/popular?tag=a%20b', 'tag'],
    ['/posts/popular?limit=-1', 'limit'],
    ['/posts/popular?sort=new', 'sort'],
    ['/rankings/authors?window=1h', 'window'],
    ['/rankings/tags?window=30d', 'window'],
    ['/rankings/tags?window=24h&window=7d', 'window'],
    ['/posts/bad.id', 'postId'],
  ])('GET %s → 400 naming %s', async (path, name) => {
    expect(field(await ann.get(path))).toEqual([400, 'BAD_REQUEST', name]);
  });

  it('no token, a bad token or an expired one → 401 on every route', async () => {
    const post = await createPost(ann);
    const anonymous = clientFor(t.url, null);
    const forged = clientFor(t.url, `${await tokenFor('ann')}x`);
    const expired = clientFor(t.url, await tokenFor('ann', { ttl: '-1m' }));
    const routes: Array<[string, string]> = [
      ['POST', '/posts'],
      ['GET', `/posts/${post.postId}`],
      ['PATCH', `/posts/${post.postId}`],
      ['DELETE', `/posts/${post.postId}`],
      ['PUT', `/posts/${post.postId}/like`],
      ['DELETE', `/posts/${post.postId}/like`],
      ['GET', '/feed'],
      ['GET', '/posts/popular'],
      ['GET', '/rankings/authors'],
      ['GET', '/rankings/tags'],
    ];
    for (const c of [anonymous, forged, expired]) {
      for (const [method, path] of routes) {
        const reply = await c.call(method, path);
        expect([method, path, reply.status, reply.body.error.code]).toEqual([method, path, 401, 'UNAUTHORIZED']);
      }
    }
  });

  it('a missing post → 404 for read, edit, delete and likes', async () => {
    for (const [method, path] of [
      ['GET', '/posts/nope'],
      ['PATCH', '/posts/nope'],
      ['DELETE', '/posts/nope'],
      ['PUT', '/posts/nope/like'],
      ['DELETE', '/posts/nope/like'],
    ] as const) {
      const reply = await ann.call(method, path, method === 'PATCH' ? { title: 'x' } : undefined);
      expect([method, reply.status, reply.body.error.code]).toEqual([method, 404, 'NOT_FOUND']);
    }
  });
});
