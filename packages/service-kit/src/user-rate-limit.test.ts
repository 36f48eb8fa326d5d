/**
 * Requests per user per service (SPEC §2, §5) against the real Redis: 429 with `Retry-After` and the
 * error envelope past the limit, users and replicas counted as SPEC says, and a Redis that is gone
 * neither stops the API nor lifts the limit.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier, mintToken } from '@coffeechat/auth';
import { deleteRedisKeys, freePort, servers, uniqueNamespace } from '@coffeechat/testkit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { closeServer, createHttpApp, finishHttpApp, listen, requireAuth } from './http.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { RATE_LIMIT_REDIS_OPTIONS, UserRateLimit } from './user-rate-limit.js';

const secret = 'a-secret-for-the-rate-limit-tests-000';
const logger = createLogger('rate-limit-test', 'silent');
const opened: Array<{ server: Server; redis: Redis }> = [];
const namespaces: string[] = [];

/** One replica of a service with `GET /thing` behind the limit; replicas of one namespace share it. */
async function replica(ns: string, perSecond: number, redisUrl = servers.redisUrl) {
  const metrics = createMetrics('rate-limit-test');
  const redis = new Redis(redisUrl, RATE_LIMIT_REDIS_OPTIONS);
  // until it is connected, requests are counted in memory (as with Redis down): start counting in Redis
  if (redisUrl === servers.redisUrl) await new Promise((resolve) => redis.once('ready', resolve));
  const limit = new UserRateLimit(
    redis,
    { namespace: ns, service: 'test', perSecond, adminPerSecond: perSecond * 2 },
    logger,
    metrics,
  );
  const app = createHttpApp({ logger, metrics, ready: () => true, allowedOrigins: [] });
  app.get('/thing', requireAuth(createVerifier({ kind: 'secret', secret }), limit), (_req, res) => {
    res.json({ ok: true });
  });
  finishHttpApp(app, logger);
  const server = await listen(app, 0, '127.0.0.1');
  opened.push({ server, redis });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, metrics };
}

const token = (userId: string, admin = false) => mintToken(userId, { secret, admin });
const get = (base: string, jwt: string) => fetch(`${base}/thing`, { headers: { authorization: `Bearer ${jwt}` } });
const burst = async (base: string, jwt: string, n: number) =>
  Promise.all(Array.from({ length: n }, () => get(base, jwt)));
const statuses = (replies: Response[]) => replies.map((r) => r.status).sort();

function freshNamespace(): string {
  const ns = uniqueNamespace('rl');
  namespaces.push(ns);
  return ns;
}

afterAll(async () => {
  for (const { server, redis } of opened) {
    await closeServer(server);
    redis.disconnect();
  }
  for (const ns of namespaces) await deleteRedisKeys(`${ns}:*`);
});

describe('requests per user per service', () => {
  it('answers 429 with Retry-After and the error envelope past the limit, and counts users apart', async () => {
    const { base, metrics } = await replica(freshNamespace(), 5);
    const ann = await token('ann');
    const replies = await burst(base, ann, 12);
    expect(statuses(replies)).toEqual([...Array(5).fill(200), ...Array(7).fill(429)]);
    const refused = replies.find((r) => r.status === 429) as Response;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({
      error: { code: 'RATE_LIMITED', message: 'more than 5 requests per second' },
    });
    // another user has a budget of their own, admins a larger one
    expect(statuses(await burst(base, await token('bob'), 5))).toEqual(Array(5).fill(200));
    expect(statuses(await burst(base, await token('ops', true), 10))).toEqual(Array(10).fill(200));
    expect(await metrics.registry.getSingleMetricAsString('coffeechat_http_rate_limited_total')).toMatch(/ 7$/);
  });

  it('lets the user in again once the second is over', async () => {
    const { base } = await replica(freshNamespace(), 3);
    const cid = await token('cid');
    expect(statuses(await burst(base, cid, 4))).toEqual([200, 200, 200, 429]);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await get(base, cid)).status).toBe(200);
  });

  it('shares one budget between the replicas of a service (Redis)', async () => {
    const ns = freshNamespace();
    const [a, b] = [await replica(ns, 6), await replica(ns, 6)];
    const dee = await token('dee');
    const replies = await Promise.all([burst(a.base, dee, 5), burst(b.base, dee, 5)]);
    expect(statuses(replies.flat()).filter((s) => s === 200)).toHaveLength(6);
  });

  it('without Redis each replica counts alone, at once, and keeps serving', async () => {
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const { base } = await replica(freshNamespace(), 4, nowhere);
    const eve = await token('eve');
    const started = Date.now();
    expect(statuses(await burst(base, eve, 7))).toEqual([200, 200, 200, 200, 429, 429, 429]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a bad token before counting anything', async () => {
    const { base } = await replica(freshNamespace(), 1);
    const bad = await mintToken('fay', { secret: 'another-secret-of-32-bytes-or-more' });
    expect(statuses(await burst(base, bad, 3))).toEqual([401, 401, 401]);
    expect((await get(base, await token('fay'))).status).toBe(200);
  });
});
