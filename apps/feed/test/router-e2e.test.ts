/**
 * End to end with the real message-router (its built dist/main.js as a separate process): a room
 * arranged from a post, chat messages sent into the router's partitions the way the gateway sends
 * them; the router stores them and publishes `room.created` / `message.stored`, and the post rises.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type InboundSend, partitionOf, topology } from '@coffeechat/contracts';
import {
  eventually,
  freePort,
  mongoUrlFor,
  removeFeedNamespace,
  type ServiceProcess,
  servers,
  startService,
  tokenFor,
} from '@coffeechat/testkit';
import amqp, { type ChannelModel } from 'amqplib';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, clientFor, createPost, startTestFeed, type TestFeed, userClient } from './helpers.js';

const ROUTER_MAIN = path.resolve(fileURLToPath(import.meta.url), '../../../message-router/dist/main.js');
const PARTITIONS = 2;

describe.skipIf(!existsSync(ROUTER_MAIN))('with the real message-router', () => {
  let t: TestFeed;
  let router: ServiceProcess;
  let routerUrl: string;
  let conn: ChannelModel;
  let ann: Client;

  beforeAll(async () => {
    t = await startTestFeed();
    const port = await freePort();
    router = await startService('message-router', port, {
      CC_NAMESPACE: t.ns,
      AMQP_URL: servers.amqpUrl,
      MONGO_URL: mongoUrlFor(`${t.ns}router`),
      ROUTER_PARTITIONS: String(PARTITIONS),
    });
    routerUrl = `http://127.0.0.1:${port}`;
    conn = await amqp.connect(servers.amqpUrl);
    ann = await userClient(t.url, 'ann');
  });

  afterAll(async () => {
    await router?.stop();
    await conn?.close();
    await t?.close();
    if (!t) return;
    await removeFeedNamespace(t.ns);
    const mongo = new MongoClient(mongoUrlFor(`${t.ns}router`));
    await mongo.db().dropDatabase();
    await mongo.close();
    const top = topology(t.ns);
    const names: Array<['queue' | 'exchange', string]> = [
      ...Array.from({ length: PARTITIONS }, (_, p): ['queue', string] => ['queue', top.inboundQueue(p)]),
      ['queue', top.deadQueue],
      ['queue', top.routerRpcQueue],
      ['exchange', top.inboundExchange],
      ['exchange', top.deliveryExchange],
      ['exchange', top.deadLetterExchange],
    ];
    const c = await amqp.connect(servers.amqpUrl);
    for (const [kind, name] of names) {
      const ch = await c.createChannel();
      ch.on('error', () => undefined); // a name the router did not create
      await (kind === 'queue' ? ch.deleteQueue(name) : ch.deleteExchange(name)).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    await c.close();
  });

  it('chat messages stored by the router lift the post in popular', async () => {
    const quiet = await createPost(ann, { title: 'arranged', tags: ['e2e'] });
    const liked = await createPost(ann, { title: 'liked', tags: ['e2e'] });
    await (await userClient(t.url, 'fan')).put(`/posts/${liked.postId}/like`);

    const admin = clientFor(routerUrl, await tokenFor('ops', { admin: true }));
    const room = await admin.post('/rooms', { roomId: 'e2e-room', postId: quiet.postId, memberIds: ['ann', 'bob'] });
    expect(room.status).toBe(201);

    // what a gateway does for a `send` frame: InboundSend to the room's partition, its queue bound to
    // the room (the stored message frames it receives there ack the sends)
    const ch = await conn.createConfirmChannel();
    const { queue: replyTo } = await ch.assertQueue('', { exclusive: true });
    const top = topology(t.ns);
    await ch.bindQueue(replyTo, top.deliveryExchange, top.roomKey('e2e-room'));
    const partitionKey = top.partitionKey(partitionOf('e2e-room', PARTITIONS));
    const stored: string[] = [];
    await ch.consume(replyTo, (msg) => msg && stored.push(msg.content.toString()), { noAck: true });
    for (let i = 1; i <= 12; i++) {
      const send: InboundSend = {
        kind: 'send',
        roomId: 'e2e-room',
        senderId: i % 2 ? 'ann' : 'bob',
        clientMsgId: `m${i}`,
        body: `hello ${i}`,
        replyTo,
        connId: 'test-conn',
        receivedAt: Date.now(),
      };
      ch.publish(top.inboundExchange, partitionKey, Buffer.from(JSON.stringify(send)), {
        contentType: 'application/json',
        persistent: true,
      });
    }
    await ch.waitForConfirms();
    await eventually(() => expect(stored.filter((a) => a.includes('"type":"message"'))).toHaveLength(12), 15_000);

    await eventually(async () => {
      const reply = await ann.get('/posts/popular?window=1h&tag=e2e');
      const posts = reply.body.posts as Array<{ postId: string; chats: number; rooms: number }>;
      expect(posts.map((p) => p.postId)).toEqual([quiet.postId, liked.postId]);
      expect(posts[0]).toMatchObject({ chats: 12, rooms: 1 });
    }, 15_000);
    await ch.close();
  });
});
