/**
 * The rebuild against the real MongoDB-wire server and Redis, in small batches: engagement recorded the
 * way the feed records it (MongoDB, then the live sorted sets of one namespace) and rebuilt from MongoDB
 * alone into the sorted sets of another namespace gives the same rankings, member for member, with a
 * deleted post out of the post rankings and still in its author's and tags'.
 */
import { createLogger, createMetrics } from '@coffeechat/service-kit';
import { deleteRedisKeys, mongoUrlFor, servers, uniqueNamespace } from '@coffeechat/testkit';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedMetrics } from '../src/feed-metrics.js';
import { type EngagementStore, mongoEngagementStore } from '../src/mongo/engagement-store.js';
import { type EngagedPost, mergePlan, pointsIncrements, type Ranking, windowPoints } from '../src/ranking-sets.js';
import { RankingsRecovery } from '../src/rankings-recovery.js';
import { feedKeys } from '../src/redis/keys.js';
import { redisPageCache } from '../src/redis/page-cache.js';
import { redisRankingsRebuildStore } from '../src/redis/rankings-rebuild-store.js';
import { type RankingsStore, redisRankingsStore } from '../src/redis/rankings-store.js';

/** the real time: bucket keys expire by Redis's clock */
const NOW = Date.now();
const MIN = 60_000;
const live = uniqueNamespace('rblive');
const rebuilt = uniqueNamespace('rbnew');
let mongo: MongoClient;
let redis: Redis;
let points: EngagementStore;
let liveRankings: RankingsStore;
let rebuiltRankings: RankingsStore;

beforeAll(async () => {
  mongo = new MongoClient(mongoUrlFor(live));
  await mongo.connect();
  redis = new Redis(servers.redisUrl);
  points = await mongoEngagementStore(mongo.db());
  liveRankings = redisRankingsStore(redis, feedKeys(live));
  rebuiltRankings = redisRankingsStore(redis, feedKeys(rebuilt));
});

afterAll(async () => {
  await mongo?.db().dropDatabase();
  await mongo?.close();
  redis?.disconnect();
  for (const ns of [live, rebuilt]) await deleteRedisKeys(`${ns}:*`);
});

const RANKINGS: Ranking[] = [
  ...(['1h', '24h', '7d'] as const).flatMap((window) => [
    { kind: 'posts', window, tag: null } as const,
    { kind: 'posts', window, tag: 'go' } as const,
  ]),
  ...(['24h', '7d'] as const).flatMap((window) => [
    { kind: 'authors', window } as const,
    { kind: 'tags', window } as const,
  ]),
];

describe('rebuilding the rankings from MongoDB', () => {
  it('gives the rankings the live increments gave, read in batches of 4', async () => {
    const record = async (post: EngagedPost, weight: number, at: number) => {
      const p = windowPoints(weight, at);
      await points.add(post, p, at);
      await liveRankings.apply(pointsIncrements(post, p, NOW, true));
    };
    const posts: EngagedPost[] = Array.from({ length: 7 }, (_, i) => ({
      postId: `rb-p${i}`,
      authorId: `rb-a${i % 3}`,
      tags: i % 2 ? ['go'] : ['rust', 'db'],
    }));
    // 40 engagements of different weights over the last 3 days; some share a post's 5-minute slot
    for (let i = 0; i < 40; i++) {
      const post = posts[i % posts.length] as EngagedPost;
      await record(post, [1, 5, 0.5, 8][i % 4] as number, NOW - ((i * 37) % 4000) * MIN - (i % 3) * 1000);
    }
    // a tag edit: later engagement goes to the new tags; then an unlike of an earlier like
    await record({ ...(posts[0] as EngagedPost), tags: ['go'] }, 5, NOW - 3 * MIN);
    await record(posts[1] as EngagedPost, -5, NOW - ((1 * 37) % 4000) * MIN - 1000);
    // a deleted post: out of the post rankings, still its author's and tags'
    await points.markDeleted('rb-p2');
    await liveRankings.remove(
      'rb-p2',
      RANKINGS.filter((r) => r.kind === 'posts').flatMap((r) =>
        mergePlan(r, NOW).buckets.map((bucket) => ({ ranking: r, bucket })),
      ),
    );

    const recovery = new RankingsRecovery({
      rankings: rebuiltRankings,
      rebuild: redisRankingsRebuildStore(redis, feedKeys(rebuilt)),
      points,
      pages: redisPageCache(redis, feedKeys(rebuilt)),
      metrics: feedMetrics(createMetrics('feed')),
      logger: createLogger('feed', 'silent'),
      clock: () => NOW,
      settings: { batch: 4 },
    });
    expect(await recovery.check('test')).toBe('rebuilt');
    expect(await rebuiltRankings.intact()).toBe(true);
    expect(await recovery.check('test')).toBe('intact');
    await recovery.stop();

    for (const ranking of RANKINGS) {
      const plan = mergePlan(ranking, NOW);
      const want = (await liveRankings.top(plan, 100)).ranked;
      const got = (await rebuiltRankings.top(plan, 100)).ranked;
      expect(
        got.map((r) => r.member),
        JSON.stringify(ranking),
      ).toEqual(want.map((r) => r.member));
      for (const [i, r] of got.entries()) expect(r.score).toBeCloseTo(want[i]?.score as number, 9);
      expect(want.length, JSON.stringify(ranking)).toBeGreaterThan(0);
    }
    const authors = await rebuiltRankings.top(mergePlan({ kind: 'authors', window: '7d' }, NOW), 10);
    expect(authors.intact).toBe(true);
    expect(authors.ranked.map((r) => r.member).sort()).toEqual(['rb-a0', 'rb-a1', 'rb-a2']);
    const overall = await rebuiltRankings.top(mergePlan({ kind: 'posts', window: '7d', tag: null }, NOW), 10);
    expect(overall.ranked.map((r) => r.member)).not.toContain('rb-p2');
  });
});
