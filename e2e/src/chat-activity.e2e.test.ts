/**
 * Chat lifts its post: a room arranged from a post, messages sent through a gateway, stored by the
 * router, counted by the feed from `room.created` and `message.stored` — each service a separate
 * process; the post rises in the feed's popular ranking.
 */
import type { Post } from '@coffeechat/contracts';
import { ChatStack, eventually, type ServiceProcess, tokenFor } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: ChatStack;
let feed: ServiceProcess;

beforeAll(async () => {
  stack = await ChatStack.start({ label: 'activity', routers: 1, gateways: 1, partitions: 2 });
  feed = await stack.startService('feed');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const feedCall = async (userId: string, method: string, path: string, body?: unknown) =>
  stack.http(await tokenFor(userId), method, path, body, feed.port);

async function createPost(title: string): Promise<Post> {
  const res = await feedCall('ann', 'POST', '/posts', { title, body: 'about things', tags: ['e2e'] });
  expect(res.status).toBe(201);
  return (await res.json()) as Post;
}

describe('chat activity in the feed', () => {
  it('messages stored by the router lift the post of their room in popular', async () => {
    const quiet = await createPost('arranged');
    const liked = await createPost('liked');
    expect((await feedCall('fan', 'PUT', `/posts/${liked.postId}/like`)).status).toBe(204);

    const res = await stack.admin('POST', '/rooms', { postId: quiet.postId, memberIds: ['ann', 'bob'] });
    expect(res.status).toBe(201);
    const { roomId } = (await res.json()) as { roomId: string };
    const ann = await stack.client('ann');
    const bob = await stack.client('bob');
    await ann.join(roomId);
    await bob.join(roomId);
    for (let i = 1; i <= 12; i++) await (i % 2 ? ann : bob).send(roomId, `hello ${i}`);

    await eventually(async () => {
      const popular = await feedCall('ann', 'GET', '/posts/popular?window=1h&tag=e2e');
      const { posts } = (await popular.json()) as { posts: Array<{ postId: string; chats: number; rooms: number }> };
      expect(posts.map((p) => p.postId)).toEqual([quiet.postId, liked.postId]);
      expect(posts[0]).toMatchObject({ chats: 12, rooms: 1 });
    }, 15_000);
  });
});
