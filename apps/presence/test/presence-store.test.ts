/**
 * The transition scripts against a real Redis: every decision, the order-independence of connection
 * events, and exactly-once transitions when several clients sweep at once.
 */
import { servers, uniqueNamespace } from '@coffeechat/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { presenceKeys } from '../src/redis/keys.js';
import { PresenceStore } from '../src/redis/presence-store.js';
import { decodeOutboxEntries } from '../src/redis/replies.js';
import { presenceTiming } from '../src/timing.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const clients: Redis[] = [];
const client = () => {
  const redis = new Redis(servers.redisUrl);
  clients.push(redis);
  return redis;
};

let redis: Redis;
let keys: ReturnType<typeof presenceKeys>;
let store: PresenceStore;
const timing = { ...presenceTiming(2, 300) };

async function transitions(): Promise<string[]> {
  const entries = decodeOutboxEntries(await redis.xrange(keys.outbox, '-', '+'));
  return entries.map((e) => `${e.change?.userId}:${e.change?.status}:${e.change?.version}`);
}

async function sweepAll(s = store) {
  let offline = 0;
  for (;;) {
    const outcome = await s.sweep();
    offline += outcome.offline;
    if (!outcome.more) return offline;
  }
}

beforeEach(async () => {
  redis ??= client();
  keys = presenceKeys(uniqueNamespace('store'));
  store = new PresenceStore(redis, keys, timing);
});

afterAll(async () => {
  const doomed = await redis.keys('{tstore*');
  if (doomed.length > 0) await redis.del(...doomed);
  await Promise.all(clients.map((c) => c.quit()));
});

describe('presence store', () => {
  it('keeps a two-device user online until the last connection closes, then offline after the grace', async () => {
    expect(await store.connect('gw1', 'alice', 'c1', Date.now())).toBe('online');
    expect(await store.connect('gw2', 'alice', 'c2', Date.now())).toBe('added');
    expect(await store.disconnect('gw1', 'alice', 'c1')).toBeUndefined();
    expect((await store.read(['alice'])).get('alice')?.status).toBe('online');
    const due = await store.disconnect('gw2', 'alice', 'c2');
    expect(due).toBeGreaterThan(0);
    expect(await sweepAll()).toBe(0);
    expect((await store.read(['alice'])).get('alice')?.status).toBe('online');
    await sleep(timing.graceMs + 20);
    expect(await sweepAll()).toBe(1);
    const alice = (await store.read(['alice'])).get('alice');
    expect(alice).toMatchObject({ status: 'offline', version: 2 });
    expect(alice?.lastSeen).toBeLessThanOrEqual(due ?? 0);
    expect(await transitions()).toEqual(['alice:online:1', 'alice:offline:2']);
    expect(await store.counts()).toMatchObject({ onlineUsers: 0, connections: 0 });
  });

  it('cancels the offline when the user reconnects within the grace period', async () => {
    await store.connect('gw1', 'bob', 'c1', Date.now());
    await store.disconnect('gw1', 'bob', 'c1');
    expect(await store.connect('gw1', 'bob', 'c2', Date.now())).toBe('added');
    await sleep(timing.graceMs + 20);
    expect(await sweepAll()).toBe(0);
    expect(await transitions()).toEqual(['bob:online:1']);
  });

  it('ignores a connect or heartbeat that arrives after the disconnect of the same connection', async () => {
    expect(await store.disconnect('gw1', 'carol', 'c1')).toBeUndefined();
    expect(await store.connect('gw1', 'carol', 'c1', Date.now())).toBe('ignored');
    const beat = await store.heartbeat('gw1', Date.now(), [['carol', 'c1']]);
    expect(beat).toMatchObject({ ignored: 1, added: 0 });
    expect((await store.read(['carol'])).get('carol')).toEqual({ status: 'offline', lastSeen: null, version: 0 });
    expect(await transitions()).toEqual([]);
  });

  it('treats a heartbeat as the truth for connections it lists, and drops a stale one', async () => {
    const beat = await store.heartbeat('gw1', Date.now(), [
      ['dave', 'c1'],
      ['dave', 'c2'],
      ['erin', 'c3'],
    ]);
    expect(beat).toEqual({ stale: false, known: 0, added: 3, ignored: 0, wentOnline: 2, removed: 0 });
    const again = await store.heartbeat('gw1', Date.now(), [
      ['dave', 'c1'],
      ['dave', 'c2'],
      ['erin', 'c3'],
    ]);
    expect(again).toMatchObject({ known: 3, added: 0, removed: 0 });
    expect((await store.heartbeat('gw1', Date.now() - 10_000, [['frank', 'c9']])).stale).toBe(true);
    expect(await store.counts()).toEqual({ onlineUsers: 2, connections: 3, gateways: 1 });
  });

  it('expires the connections of a gateway that stopped beating, once, whoever sweeps', async () => {
    await store.heartbeat('gw1', Date.now(), [
      ['gina', 'c1'],
      ['hank', 'c2'],
    ]);
    await store.connect('gw2', 'hank', 'c3', Date.now());
    await sleep(timing.ttlMs / 2);
    await store.heartbeat('gw2', Date.now(), [['hank', 'c3']]);
    await sleep(timing.ttlMs / 2 + 50);
    // Three replicas sweep concurrently: each offline is decided by exactly one of them.
    const others = [client(), client()].map((r) => new PresenceStore(r, keys, timing));
    const offline = await Promise.all([sweepAll(), ...others.map((s) => sweepAll(s))]);
    expect(offline.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await transitions()).toEqual(['gina:online:1', 'hank:online:1', 'gina:offline:2']);
    const gina = (await store.read(['gina'])).get('gina');
    expect(gina?.status).toBe('offline');
    expect(gina?.lastSeen).toBeGreaterThan(0);
    expect(await store.counts()).toEqual({ onlineUsers: 1, connections: 1, gateways: 1 });
  });

  it('closes a connection the gateway stopped listing (its disconnect was lost), but not a newer one', async () => {
    const openedAt = Date.now() - 100;
    await store.connect('gw1', 'jill', 'c1', openedAt);
    await store.connect('gw1', 'jill', 'c2', openedAt);
    const builtAt = Date.now();
    await store.connect('gw1', 'kurt', 'c3', builtAt + 1); // opened after the beat was built
    const beat = await store.heartbeat('gw1', builtAt, [['jill', 'c2']]);
    expect(beat).toMatchObject({ known: 1, removed: 1 });
    expect(await store.connect('gw1', 'jill', 'c1', openedAt)).toBe('ignored');
    // a part of a beat split over several messages closes nothing it does not list
    expect(await store.heartbeat('gw1', builtAt + 1, [['kurt', 'c3']], true)).toMatchObject({ known: 1, removed: 0 });
    expect(
      await store.heartbeat('gw1', builtAt + 2, [
        ['jill', 'c2'],
        ['kurt', 'c3'],
      ]),
    ).toMatchObject({ known: 2, removed: 0 });
    expect(await store.counts()).toMatchObject({ onlineUsers: 2, connections: 2 });
  });

  it('sweeps a dead gateway with many connections in bounded steps', async () => {
    const small = new PresenceStore(redis, keys, { ...timing, sweepLimit: 7 });
    const conns = Array.from({ length: 50 }, (_, i) => [`many${i}`, `c${i}`] as [string, string]);
    expect((await small.heartbeat('gw-big', Date.now(), conns)).wentOnline).toBe(50);
    await sleep(timing.ttlMs + 50);
    const first = await small.sweep();
    expect(first).toMatchObject({ more: true, offline: 7 });
    expect(await sweepAll(small)).toBe(43);
    expect(await store.counts()).toEqual({ onlineUsers: 0, connections: 0, gateways: 0 });
    expect((await transitions()).filter((t) => t.includes(':offline:'))).toHaveLength(50);
  });

  it('decides a concurrent connect and due offline consistently', async () => {
    await store.connect('gw1', 'ivan', 'c1', Date.now());
    await store.disconnect('gw1', 'ivan', 'c1');
    await sleep(timing.graceMs + 20);
    await Promise.all([sweepAll(), store.connect('gw1', 'ivan', 'c2', Date.now())]);
    const states = await transitions();
    const ivan = (await store.read(['ivan'])).get('ivan');
    // Either the reconnect won (no flap) or the offline was due first (then online again): never a lost state.
    expect([['ivan:online:1'], ['ivan:online:1', 'ivan:offline:2', 'ivan:online:3']]).toContainEqual(states);
    expect(ivan?.status).toBe('online');
  });
});
