/**
 * Least privilege on the broker, live: the four services each connected as their own RabbitMQ user with
 * the permissions of packages/contracts (created by scripts/broker-users.mjs, as `npm start` does) still
 * carry chat, presence, membership events and the feed's chat counters end to end, and a service's user
 * cannot reach another service's queues or forge its events. Needs rabbitmqctl on the local broker (its
 * own users for its own namespace, deleted afterwards); skipped with a reason where the broker is not
 * local (Docker, a given AMQP_URL).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { feedTopology, topology } from '@coffeechat/contracts';
import {
  ChatStack,
  eventually,
  mongoUrlFor,
  type ServiceProcess,
  servers,
  tokenFor,
  uniqueNamespace,
} from '@coffeechat/testkit';
import amqp from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(fileURLToPath(import.meta.url), '../../../scripts/broker-users.mjs');
const PARTITIONS = 2;
const ns = uniqueNamespace('users');
const brokerUsers = (command: 'create' | 'delete') =>
  spawnSync(process.execPath, [SCRIPT, command, ns, servers.amqpUrl], { encoding: 'utf8', timeout: 120_000 });
const created = brokerUsers('create');
const urls: Record<string, string> | null = created.status === 0 ? JSON.parse(created.stdout) : null;
if (!urls) console.warn(`[broker-users] skipped: cannot create RabbitMQ users here (${created.stderr.trim()})`);

/** What a channel of `user`'s connection answers to `attempt`: 'ok' or the broker's refusal code. */
async function asUser(service: string, attempt: (ch: amqp.Channel) => Promise<unknown>): Promise<string> {
  const connection = await amqp.connect(urls?.[service] ?? '');
  try {
    const ch = await connection.createConfirmChannel();
    // a refusal closes the channel with its code (and fails the call that caused it)
    const refused = new Promise<string>((resolve) =>
      ch.once('error', (err: { code?: number }) => resolve(String(err.code))),
    );
    const done = attempt(ch).then(
      () => 'ok',
      () => refused,
    );
    return await Promise.race([done, refused]);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

let stack: ChatStack;
let feed: ServiceProcess;

beforeAll(async () => {
  if (!urls) return;
  // each service connects as its own user
  stack = await ChatStack.start({ label: 'users', namespace: ns, routers: 0, gateways: 0, partitions: PARTITIONS });
  await stack.startRouter({ AMQP_URL: urls['message-router'] ?? '' });
  [, , feed] = await Promise.all([
    stack.startGateway({ AMQP_URL: urls.gateway ?? '' }),
    stack.startService('presence', { AMQP_URL: urls.presence ?? '' }),
    stack.startService('feed', { AMQP_URL: urls.feed ?? '', MONGO_URL: mongoUrlFor(`${ns}f`) }),
  ]);
}, 120_000);

afterEach((context) => {
  if (context.task.result?.state === 'fail' && stack) console.error(stack.outputs());
});

afterAll(async () => {
  await stack?.stop();
  if (urls) brokerUsers('delete');
});

describe.skipIf(!urls)('one RabbitMQ user per service', () => {
  it('carries chat, presence, membership events and the feed’s counters with each service as its own user', async () => {
    const author = await tokenFor('ann');
    const post = await (
      await stack.http(
        author,
        'POST',
        '/posts',
        { title: 'least privilege', body: 'who may publish what', tags: [] },
        feed.port,
      )
    ).json();
    const room = await (await stack.admin('POST', '/rooms', { memberIds: ['ann', 'bob'], postId: post.postId })).json();

    const ann = await stack.client('ann');
    const bob = await stack.client('bob');
    await ann.join(room.roomId);
    const joined = await bob.join(room.roomId); // presence answers the join's presence over its own user
    expect(joined.presence).toMatchObject({ ann: 'online', bob: 'online' });
    const delivered = new Promise((resolve) => bob.on('message', resolve));
    const ack = await ann.send(room.roomId, 'hello over least privilege');
    expect(ack.seq).toBe(1);
    expect(await delivered).toMatchObject({ seq: 1, senderId: 'ann' });

    // the feed counts the room's chat activity from message.stored on its own queue
    await eventually(async () => {
      const read = await (await stack.http(author, 'GET', `/posts/${post.postId}`, undefined, feed.port)).json();
      expect(read.chats).toBeGreaterThanOrEqual(1);
    }, 15_000);

    // membership.removed reaches the gateway over the events exchange
    const removed = new Promise((resolve) => bob.on('removed', resolve));
    expect((await stack.admin('DELETE', `/rooms/${room.roomId}/members/bob`)).status).toBe(204);
    expect(await removed).toEqual({ roomId: room.roomId });

    // the operator's dead-letter view reads the router's dead-letter queue
    expect((await stack.admin('GET', '/admin/dead-letters')).status).toBe(200);

    for (const p of [...stack.routers, ...stack.gateways, ...stack.others])
      expect(p.output(), p.name).not.toMatch(/ACCESS_REFUSED|access.refused/i);
  });

  it('refuses a service’s user what belongs to another service', async () => {
    const t = topology(ns);
    const noop = () => undefined;
    // a gateway cannot consume a partition, read the dead letters, forge membership events or room events
    expect(await asUser('gateway', (ch) => ch.consume(t.inboundQueue(0), noop))).toBe('403');
    expect(await asUser('gateway', (ch) => ch.consume(t.deadQueue, noop))).toBe('403');
    const forge = (exchange: string, key: string) => (ch: amqp.Channel) =>
      new Promise((resolve, reject) => {
        (ch as amqp.ConfirmChannel).publish(exchange, key, Buffer.from('{}'), {}, (err) =>
          err ? reject(err) : resolve(undefined),
        );
      });
    expect(await asUser('gateway', forge(t.eventsExchange, 'membership.added'))).toBe('403');
    // the feed cannot publish room frames; presence cannot read the feed's queue
    expect(await asUser('feed', forge(t.deliveryExchange, 'room.x'))).toBe('403');
    expect(await asUser('presence', (ch) => ch.consume(feedTopology(ns).eventsQueue, noop))).toBe('403');
    // and what a service does need still works under its user
    expect(await asUser('gateway', forge(t.deliveryExchange, 'room.nobody'))).toBe('ok');
  });
});
