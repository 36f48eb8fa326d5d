/**
 * One user against the feed (SPEC §2, §5), with real Redis and MongoDB-wire: past 50 requests a second
 * they get 429 with `Retry-After`, and a like/unlike loop does not flush the ranked pages on every call,
 * while a like still shows in every ranked read within 1 s.
 */
import { burst, eventually, rateLimitBreaches, removeFeedNamespace, tokenFor } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedKeys } from '../src/redis/keys.js';
import { type Client, createPost, startTestFeed, type TestFeed, userClient } from './helpers.js';

let limited: TestFeed;
let open: TestFeed;

beforeAll(async () => {
  limited = await startTestFeed({ httpRequestsPerSec: 50 });
  open = await startTestFeed({ ns: limited.ns });
});

afterAll(async () => {
  for (const t of [limited, open]) await t?.close();
  if (limited) await removeFeedNamespace(limited.ns);
});

describe('one user, many requests', () => {
  it('a burst past 50 requests a second gets 429 with Retry-After; other users are not affected', async () => {
    const post = await createPost(await userClient(limited.url, 'author'));
    const token = await tokenFor('burster');
    const burster = await burst(80, () =>
      fetch(`${limited.url}/posts/${post.postId}`, { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(await rateLimitBreaches(burster, 50)).toEqual([]);
    expect((await (await userClient(limited.url, 'bystander')).get(`/posts/${post.postId}`)).status).toBe(200);
  });

  it('a like/unlike loop bumps the ranked pages at most once per 250 ms, and the last like still shows within 1 s', async () => {
    const writer = await userClient(open.url, 'writer');
    const quiet = await createPost(writer, { title: 'quiet', tags: ['toggle'] });
    const toggled = await createPost(writer, { title: 'toggled', tags: ['toggle'] });
    const reader = await userClient(open.url, 'reader');
    // views, 1 point each: `quiet` leads with 2 until the like (5 points) lands on `toggled`
    await reader.get(`/posts/${quiet.postId}`);
    await writer.get(`/posts/${quiet.postId}`);
    await reader.get(`/posts/${toggled.postId}`);
    const ranked = async () =>
      (await reader.get('/posts/popular?window=1h&tag=toggle')).body.posts.map((p: { postId: string }) => p.postId);
    expect(await ranked()).toEqual([quiet.postId, toggled.postId]);

    const generation = feedKeys(open.ns).generation('rank');
    const before = Number((await open.feed.redis.get(generation)) ?? 0);
    const looper: Client = await userClient(open.url, 'looper2');
    const started = Date.now();
    for (let i = 0; i < 60; i++) {
      const reply = await looper.call(i % 2 === 0 ? 'PUT' : 'DELETE', `/posts/${toggled.postId}/like`);
      expect(reply.status).toBe(204);
    }
    const liked = await looper.call('PUT', `/posts/${toggled.postId}/like`); // ends liked
    expect(liked.status).toBe(204);
    const elapsedMs = Date.now() - started;
    const likedAt = Date.now();
    await eventually(async () => expect(await ranked()).toEqual([toggled.postId, quiet.postId]), 1000, 25);
    expect(Date.now() - likedAt).toBeLessThanOrEqual(1000);
    const bumps = Number(await open.feed.redis.get(generation)) - before;
    console.log(`[measure] 61 likes/unlikes in ${elapsedMs} ms bumped the ranked pages ${bumps} times`);
    // 61 likes and unlikes; without coalescing, 61 bumps (every ranked page of every user recomputed each time)
    expect(bumps).toBeGreaterThanOrEqual(1);
    expect(bumps).toBeLessThanOrEqual(Math.ceil(elapsedMs / 250) + 2);
    expect(bumps).toBeLessThan(61);
  });
});
