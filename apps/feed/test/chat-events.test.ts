/**
 * Engagement from the chat: `room.created` and `message.stored` events published to `<ns>.events` the
 * way the message-router publishes them move a post up in `popular`; per-room caps, seq dedupe and
 * dead-lettering of malformed events.
 */
import { EventKey, feedTopology } from '@coffeechat/contracts';
import { eventually } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_CAP_PER_ROOM_HOUR, WEIGHTS } from '../src/scoring.js';
import { type ChatFeeds, type Client, createPost, roomCreated, startChatFeeds, stored, userClient } from './helpers.js';

let chat: ChatFeeds;
let ann: Client;
const feed = () => chat.replicas[0];

beforeAll(async () => {
  chat = await startChatFeeds();
  ann = await userClient(feed().url, 'ann');
});

afterAll(() => chat?.close());

const publish = (key: string, body: unknown) => chat.events.publish(key, body);

const popular = async (tag: string) => {
  const reply = await ann.get(`/posts/popular?window=1h&tag=${tag}`);
  return reply.body.posts as Array<{ postId: string; score: number; chats: number; rooms: number }>;
};

describe('chat engagement', () => {
  it('chat activity in a post’s rooms lifts it above a post with more likes', async () => {
    const quiet = await createPost(ann, { title: 'quiet', tags: ['chat1'] });
    const liked = await createPost(ann, { title: 'liked', tags: ['chat1'] });
    for (const u of ['u1', 'u2', 'u3']) await (await userClient(feed().url, u)).put(`/posts/${liked.postId}/like`);
    await eventually(async () => expect((await popular('chat1')).map((p) => p.postId)).toEqual([liked.postId]));

    await publish(EventKey.roomCreated, roomCreated('room-q1', quiet.postId));
    for (let seq = 1; seq <= 30; seq++) await publish(EventKey.messageStored, stored('room-q1', quiet.postId, seq));

    await eventually(async () => {
      const ranked = await popular('chat1');
      expect(ranked.map((p) => p.postId)).toEqual([quiet.postId, liked.postId]);
      expect(ranked[0]).toMatchObject({ chats: 30, rooms: 1 });
      // the room's first 20 messages count (0.5 each) and the room itself (8); 3 likes are 15
      const expected = WEIGHTS.room + CHAT_CAP_PER_ROOM_HOUR * WEIGHTS.chat;
      expect(ranked[0]?.score).toBeGreaterThan(expected * 0.99);
      expect(ranked[0]?.score).toBeLessThanOrEqual(expected);
    }, 10_000);
  });

  it('caps each room, not the post: a second room adds its own share (batch events of the router)', async () => {
    const post = await createPost(ann, { tags: ['chat2'] });
    const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    await publish(EventKey.messagesStored, { messages: range(40).map((seq) => stored('room-c1', post.postId, seq)) });
    // counters are read through the post cache at once; ranked pages are cached for up to 2 s
    let oneRoom = 0;
    await eventually(async () => {
      const [p] = await popular('chat2');
      expect(p?.chats).toBe(40);
      expect(p?.score).toBeCloseTo(CHAT_CAP_PER_ROOM_HOUR * WEIGHTS.chat, 1);
      oneRoom = p?.score as number;
    }, 10_000);
    // one batch of two rooms, with a message of the first counted already (a redelivery)
    await publish(EventKey.messagesStored, {
      messages: [...range(4).map((seq) => stored('room-c2', post.postId, seq)), stored('room-c1', post.postId, 40)],
    });
    await eventually(async () => {
      const [p] = await popular('chat2');
      expect(p?.chats).toBe(44);
      expect(p?.score).toBeCloseTo(oneRoom + 4 * WEIGHTS.chat, 1);
    }, 10_000);
  });

  it('counts a redelivered message or room once', async () => {
    const post = await createPost(ann, { tags: ['chat3'] });
    for (const seq of [1, 2, 3, 2, 1, 3]) await publish(EventKey.messageStored, stored('room-d1', post.postId, seq));
    await publish(EventKey.roomCreated, roomCreated('room-d1', post.postId));
    await publish(EventKey.roomCreated, roomCreated('room-d1', post.postId));
    // a marker event after the duplicates: once it is counted, the duplicates have been handled
    await publish(EventKey.messageStored, stored('room-d1', post.postId, 4));
    await eventually(
      async () => expect((await ann.get(`/posts/${post.postId}`)).body).toMatchObject({ chats: 4, rooms: 1 }),
      10_000,
    );
  });

  it('ignores rooms not arranged from a post and posts it does not know', async () => {
    await publish(EventKey.roomCreated, roomCreated('room-n1', null));
    await publish(EventKey.messageStored, stored('room-n1', null, 1));
    await publish(EventKey.messageStored, stored('room-n2', 'noSuchPost', 1));
    await eventually(async () => {
      const text = await (await fetch(`${feed().url}/metrics`)).text();
      expect(text).toMatch(/coffeechat_feed_events_total\{event="message.stored",outcome="ignored",service="feed"\} 2/);
      expect(text).toMatch(/coffeechat_feed_events_total\{event="room.created",outcome="ignored",service="feed"\} 1/);
    });
  });

  it('dead-letters malformed events and keeps consuming', async () => {
    const post = await createPost(ann, { tags: ['chat4'] });
    await publish(EventKey.messageStored, 'not json');
    await publish(EventKey.messageStored, { roomId: 'r', postId: post.postId, seq: 0, senderId: 'ann', ts: 1 });
    await publish(EventKey.roomCreated, { roomId: 'r', postId: post.postId, memberIds: [], at: 1, extra: true });
    await publish(EventKey.messagesStored, { messages: [] });
    await publish(EventKey.messageStored, stored('room-m1', post.postId, 1));
    const { deadQueue } = feedTopology(feed().ns);
    const dead: string[] = [];
    await eventually(async () => {
      const msg = await chat.events.ch.get(deadQueue, { noAck: true });
      if (msg) dead.push(msg.content.toString());
      expect(dead).toHaveLength(4);
    }, 10_000);
    expect(dead[0]).toBe('not json');
    await eventually(async () => expect((await ann.get(`/posts/${post.postId}`)).body.chats).toBe(1));
  });
});
