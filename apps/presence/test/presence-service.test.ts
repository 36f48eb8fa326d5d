/**
 * The presence service as real processes against real RabbitMQ and Redis, with the tests playing the
 * gateways on the broker (the gateway's own end-to-end suite drives real gateways).
 */
import { presenceTopology } from '@coffeechat/contracts';
import {
  burst,
  eventually,
  freePort,
  rateLimitBreaches,
  type ServiceProcess,
  servers,
  serviceEnv,
  startService,
  tokenFor,
  uniqueNamespace,
} from '@coffeechat/testkit';
import amqp, { type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { declareInputTopology } from '../src/amqp/input-topology.js';
import { FakeGateway, queryPresence, Watcher } from './fake-gateway.js';

const TTL_SEC = 3;
const namespace = uniqueNamespace('presence');
const names = presenceTopology(namespace);
const env = { ...serviceEnv(namespace), PRESENCE_TTL_SEC: String(TTL_SEC) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let connection: ChannelModel;
let watcher: Watcher;
const gateways: FakeGateway[] = [];
const replicas: ServiceProcess[] = [];

async function startReplica(): Promise<ServiceProcess> {
  const replica = await startService('presence', await freePort(), env);
  replicas.push(replica);
  return replica;
}

async function gateway(id: string): Promise<FakeGateway> {
  const gw = new FakeGateway(`${id}-${namespace}`, await connection.createConfirmChannel(), names, TTL_SEC);
  gateways.push(gw);
  return gw;
}

async function getPresence(replica: ServiceProcess, query: string, token?: string) {
  const res = await fetch(`http://127.0.0.1:${replica.port}/presence?${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, { status: string; lastSeen: number | null }>,
  };
}

async function metric(replica: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

beforeAll(async () => {
  connection = await amqp.connect(servers.amqpUrl);
  // Declared here too (idempotently) so nothing the tests publish before the service's setup is lost.
  const setup = await connection.createConfirmChannel();
  await declareInputTopology(setup, names);
  await setup.close();
  watcher = await Watcher.create(connection, names);
  await startReplica();
});

afterEach((context) => {
  if (context.task.result?.state === 'fail') for (const r of replicas) console.error(r.output().slice(-4000));
});

afterAll(async () => {
  for (const gw of gateways) gw.crash();
  await Promise.all(replicas.map((r) => r.stop()));
  const channel = await connection.createChannel();
  for (const queue of [names.inputQueue, names.deadQueue, names.rpcQueue]) await channel.deleteQueue(queue);
  for (const exchange of [names.inputExchange, names.deadLetterExchange, names.changesExchange]) {
    await channel.deleteExchange(exchange);
  }
  await connection.close();
  const redis = new Redis(servers.redisUrl);
  const keys = await redis.keys(`{${namespace}}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('presence service', () => {
  it('keeps a two-device user online until the last closes, then offline within 1 s of a clean close', async () => {
    const [gw1, gw2] = [await gateway('gw1'), await gateway('gw2')];
    await watcher.watch('alice');
    const phone = await gw1.connect('alice');
    const laptop = await gw2.connect('alice');
    await eventually(() => expect(watcher.statuses('alice')).toEqual(['online:1']));
    await gw1.disconnect(phone);
    await sleep(1500);
    expect(watcher.statuses('alice')).toEqual(['online:1']);
    const token = await tokenFor('bob');
    const replica = replicas[0]!;
    expect((await getPresence(replica, 'userIds=alice', token)).body.alice?.status).toBe('online');

    const closedAt = Date.now();
    await gw2.disconnect(laptop);
    await eventually(() => expect(watcher.statuses('alice')).toEqual(['online:1', 'offline:2']), 3000, 20);
    const offline = watcher.of('alice')[1]!;
    expect(offline.receivedAt - closedAt).toBeLessThanOrEqual(1000);
    const { body } = await getPresence(replica, 'userIds=alice,nobody', token);
    expect(body.alice?.status).toBe('offline');
    expect(body.alice?.lastSeen).toBeGreaterThanOrEqual(closedAt - 50);
    expect(body.nobody).toEqual({ status: 'offline', lastSeen: null });
    console.info(`clean close → offline received after ${offline.receivedAt - closedAt} ms`);
  });

  it('does not flap when a user reconnects right away', async () => {
    const gw = await gateway('gw-flap');
    await watcher.watch('erin');
    const first = await gw.connect('erin');
    gw.startBeating();
    await eventually(() => expect(watcher.statuses('erin')).toEqual(['online:1']));
    await gw.disconnect(first);
    await sleep(200);
    await gw.connect('erin');
    await sleep(2000);
    expect(watcher.statuses('erin')).toEqual(['online:1']);
  });

  it('takes the users of a gateway that stops beating offline within TTL + 5 s', async () => {
    const gw = await gateway('gw-crash');
    await watcher.watch('frank', 'gina');
    await gw.connect('frank');
    await gw.connect('gina');
    gw.startBeating();
    await eventually(() =>
      expect(watcher.changes.filter((c) => c.status === 'online' && ['frank', 'gina'].includes(c.userId))).toHaveLength(
        2,
      ),
    );
    await sleep(2 * 1000); // beats keep them online past one TTL
    expect(watcher.statuses('frank')).toEqual(['online:1']);
    const crashedAt = Date.now();
    gw.crash();
    await eventually(
      () => expect(watcher.statuses('gina')).toEqual(['online:1', 'offline:2']),
      (TTL_SEC + 5) * 1000,
      50,
    );
    await eventually(() => expect(watcher.statuses('frank')).toEqual(['online:1', 'offline:2']), 1000, 50);
    const latest = Math.max(...watcher.changes.filter((c) => c.status === 'offline').map((c) => c.receivedAt));
    expect(latest - crashedAt).toBeLessThanOrEqual((TTL_SEC + 5) * 1000);
    console.info(`gateway crash → offline received after ${latest - crashedAt} ms (TTL ${TTL_SEC} s)`);
  });

  it('answers the presence query for joined.presence, with versions', async () => {
    const reply = await queryPresence(connection, names, { kind: 'query', userIds: ['alice', 'erin', 'nobody'] });
    expect(reply).toEqual({
      ok: true,
      users: {
        alice: { status: 'offline', lastSeen: expect.any(Number), version: 2 },
        erin: { status: 'online', lastSeen: expect.any(Number), version: 1 },
        nobody: { status: 'offline', lastSeen: null, version: 0 },
      },
    });
    expect(await queryPresence(connection, names, { kind: 'query', userIds: [] })).toMatchObject({ ok: false });
  });

  it('rejects bad HTTP queries: 401 without a token, 400 for empty, too many or unknown parameters', async () => {
    const replica = replicas[0]!;
    const token = await tokenFor('bob');
    expect((await getPresence(replica, 'userIds=a')).status).toBe(401);
    expect((await getPresence(replica, 'userIds=a', 'not-a-jwt')).status).toBe(401);
    for (const query of ['userIds=', '', 'userIds=a,,b', 'userIds=a&extra=1', 'userIds=a&userIds=b']) {
      const { status, body } = await getPresence(replica, query, token);
      expect({ query, status }).toEqual({ query, status: 400 });
      expect(body).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    }
    const ids = Array.from({ length: 101 }, (_, i) => `u${i}`);
    expect((await getPresence(replica, `userIds=${ids.join(',')}`, token)).status).toBe(400);
    expect((await getPresence(replica, `userIds=${ids.slice(0, 100).join(',')}`, token)).status).toBe(200);
  });

  it('answers 400 concurrent GET /presence of one user with 50 × 200, then 429 with Retry-After (SPEC §2)', async () => {
    const replica = replicas[0]!;
    const token = await tokenFor('eager');
    const eager = await burst(400, () =>
      fetch(`http://127.0.0.1:${replica.port}/presence?userIds=a`, { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(await rateLimitBreaches(eager, 50)).toEqual([]);
    // another user has a budget of their own
    expect((await getPresence(replica, 'userIds=a', await tokenFor('patient'))).status).toBe(200);
    expect(await metric(replica, 'coffeechat_http_rate_limited_total')).toBeGreaterThanOrEqual(eager.refused.length);
  });

  it('dead-letters malformed broker messages and counts them', async () => {
    const gw = await gateway('gw-junk');
    const replica = replicas[0]!;
    const before = await metric(replica, 'coffeechat_presence_dead_letters_total');
    await gw.publish('not json');
    await gw.publish(JSON.stringify({ kind: 'connected', userId: 'x' }));
    const channel = await connection.createChannel();
    const dead: string[] = [];
    await eventually(async () => {
      const msg = await channel.get(names.deadQueue, { noAck: true });
      if (msg) dead.push(msg.content.toString());
      expect(dead).toHaveLength(2);
    }, 5000);
    await channel.close();
    expect(dead).toContain('not json');
    expect(await metric(replica, 'coffeechat_presence_dead_letters_total')).toBe(before + 2);
  });

  it('keeps state and events right across a presence restart (kill -9)', async () => {
    const gwA = await gateway('gw-restart-a');
    const gwB = await gateway('gw-restart-b');
    await watcher.watch('hank', 'ivy', 'jack');
    const hankConn = await gwA.connect('hank');
    await gwA.connect('jack');
    await gwB.connect('ivy');
    gwA.startBeating();
    gwB.startBeating();
    await eventually(() =>
      expect(['hank', 'ivy', 'jack'].map((u) => watcher.statuses(u))).toEqual([
        ['online:1'],
        ['online:1'],
        ['online:1'],
      ]),
    );

    await replicas.shift()!.kill();
    // While no presence runs: hank closes cleanly, gateway B dies.
    const closedAt = Date.now();
    await gwA.disconnect(hankConn);
    gwB.crash();
    const crashedAt = Date.now();
    await sleep(1000);
    const replica = await startReplica();
    const downMs = Date.now() - crashedAt;

    await eventually(() => expect(watcher.statuses('hank')).toEqual(['online:1', 'offline:2']), 5000, 50);
    await eventually(
      () => expect(watcher.statuses('ivy')).toEqual(['online:1', 'offline:2']),
      (TTL_SEC + 5) * 1000,
      50,
    );
    // TTL + 5 s counts from when presence runs again: nothing can notice a death while it is down.
    expect(watcher.of('ivy')[1]!.receivedAt - crashedAt).toBeLessThanOrEqual((TTL_SEC + 5) * 1000 + downMs);
    console.info(
      `restart (presence down ${downMs} ms): hank offline ${watcher.of('hank')[1]!.receivedAt - closedAt} ms after ` +
        `close; ivy offline ${watcher.of('ivy')[1]!.receivedAt - crashedAt} ms after her gateway died`,
    );
    await sleep(1500);
    expect(watcher.statuses('jack')).toEqual(['online:1']);
    const { body } = await getPresence(replica, 'userIds=hank,ivy,jack', await tokenFor('bob'));
    expect([body.hank?.status, body.ivy?.status, body.jack?.status]).toEqual(['offline', 'offline', 'online']);
  });

  it('publishes each transition exactly once with two presence replicas', async () => {
    await startReplica();
    const gws = [await gateway('gw-two-1'), await gateway('gw-two-2')];
    const users = Array.from({ length: 20 }, (_, i) => `pair${i}`);
    await watcher.watch(...users);
    const conns = await Promise.all(users.map((u, i) => gws[i % 2]!.connect(u)));
    // a second device on the other gateway for half of them, then everything closes
    const seconds = await Promise.all(users.slice(0, 10).map((u, i) => gws[(i + 1) % 2]!.connect(u)));
    await eventually(() => expect(users.flatMap((u) => watcher.statuses(u))).toHaveLength(users.length));
    await Promise.all(users.map((_, i) => gws[i % 2]!.disconnect(conns[i]!)));
    await Promise.all(seconds.map((c, i) => gws[(i + 1) % 2]!.disconnect(c)));
    await eventually(() => expect(users.flatMap((u) => watcher.statuses(u))).toHaveLength(2 * users.length), 5000);
    // and a crash expiry, swept by both replicas
    const crashGw = await gateway('gw-two-crash');
    await watcher.watch('kate');
    await crashGw.connect('kate');
    crashGw.startBeating();
    await sleep(1500);
    crashGw.crash();
    await eventually(() => expect(watcher.statuses('kate')).toHaveLength(2), (TTL_SEC + 5) * 1000, 50);
    await sleep(1500);
    for (const u of users) expect({ u, s: watcher.statuses(u) }).toEqual({ u, s: ['online:1', 'offline:2'] });
    expect(watcher.statuses('kate')).toEqual(['online:1', 'offline:2']);
    const published = await Promise.all(
      replicas.map((r) => metric(r, 'coffeechat_presence_transitions_published_total')),
    );
    console.info(`two replicas: transitions published per replica ${published.join(' + ')}`);
  });
});
