/** The feed's cursor under concurrent inserts: no duplicates, no gaps, newest first. */
import { removeFeedNamespace } from '@coffeechat/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { type Client, createPost, startTestFeed, type TestFeed, userClient } from './helpers.js';

const started: TestFeed[] = [];
afterAll(async () => {
  for (const t of started) {
    await t.close();
    await removeFeedNamespace(t.ns);
  }
});

interface Item {
  postId: string;
  createdAt: string;
}

async function pageAll(client: Client, limit: number, onPage: () => Promise<void> = async () => {}): Promise<Item[][]> {
  const pages: Item[][] = [];
  let cursor: string | null = null;
  do {
    const reply = await client.get(`/feed?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(reply.status).toBe(200);
    pages.push(reply.body.posts);
    cursor = reply.body.nextCursor;
    await onPage();
  } while (cursor);
  return pages;
}

const order = (a: Item, b: Item) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.postId < b.postId ? 1 : -1);

describe('GET /feed', () => {
  for (const cache of [true, false]) {
    it(`pages every existing post exactly once while new ones arrive (cache ${cache ? 'on' : 'off'})`, async () => {
      const t = await startTestFeed({ cache });
      started.push(t);
      const writer = await userClient(t.url, 'writer');
      const reader = await userClient(t.url, 'reader');
      const before: string[] = [];
      for (let i = 0; i < 40; i++) before.push((await createPost(writer, { title: `seed ${i}` })).postId);

      const arrived: string[] = [];
      let inserting = true;
      const inserts = (async () => {
        for (let i = 0; inserting && i < 60; i++)
          arrived.push((await createPost(writer, { title: `new ${i}` })).postId);
      })();
      // interleave: a burst of concurrent creates between every page
      const pages = await pageAll(reader, 7, async () => {
        await Promise.all(
          Array.from({ length: 3 }, async (_, i) =>
            arrived.push((await createPost(writer, { title: `burst ${i}` })).postId),
          ),
        );
      });
      inserting = false;
      await inserts;

      const seen = pages.flat();
      const ids = seen.map((p) => p.postId);
      expect(new Set(ids).size).toBe(ids.length); // no duplicates
      expect(ids.filter((id) => before.includes(id)).sort()).toEqual([...before].sort()); // no gaps
      expect(seen).toEqual([...seen].sort(order)); // newest first, across pages
      expect(ids.every((id) => before.includes(id) || arrived.includes(id))).toBe(true);
      expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    });
  }

  it('orders posts created in the same millisecond by id, without losing any', async () => {
    const frozen = Date.UTC(2024, 0, 1);
    const t = await startTestFeed({ clock: () => frozen });
    started.push(t);
    const writer = await userClient(t.url, 'writer');
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => createPost(writer, { title: `same ${i}` })));
    const pages = await pageAll(writer, 3);
    const ids = pages.flat().map((p) => p.postId);
    expect(ids).toEqual(
      created
        .map((p) => p.postId)
        .sort()
        .reverse(),
    );
    expect(pages).toHaveLength(7);
  });

  it('drops a deleted post from the pages', async () => {
    const t = await startTestFeed();
    started.push(t);
    const writer = await userClient(t.url, 'writer');
    const posts = [];
    for (let i = 0; i < 5; i++) posts.push(await createPost(writer));
    expect((await writer.get('/feed')).body.posts).toHaveLength(5);
    expect((await writer.del(`/posts/${posts[2]?.postId}`)).status).toBe(204);
    const after = (await writer.get('/feed')).body.posts.map((p: Item) => p.postId);
    expect(after).toHaveLength(4);
    expect(after).not.toContain(posts[2]?.postId);
  });
});
