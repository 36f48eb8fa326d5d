/**
 * The ranking sorted sets: one per ranking and time bucket. An engagement is a ZINCRBY per set it
 * touches (pipelined); a read merges the window's buckets with ZUNIONSTORE and the decay weights.
 */
import type { Redis } from 'ioredis';
import type { MergePlan, Ranking, RankingIncrement } from '../ranking-sets.js';
import { execOrThrow } from './exec.js';
import type { FeedKeys } from './keys.js';

export interface Ranked {
  member: string;
  score: number;
}

export interface RankingsStore {
  apply(increments: readonly RankingIncrement[]): Promise<void>;
  /** The top `n` members of the merged buckets, best first; members at or below zero are left out. */
  top(plan: MergePlan, n: number): Promise<Ranked[]>;
  remove(member: string, sets: ReadonlyArray<{ ranking: Ranking; bucket: number }>): Promise<void>;
  /** Whether the rankings hold everything MongoDB has: false after Redis lost them, until a rebuild. */
  intact(): Promise<boolean>;
}

export function redisRankingsStore(redis: Redis, keys: FeedKeys): RankingsStore {
  return {
    async apply(increments) {
      if (increments.length === 0) return;
      const pipeline = redis.pipeline();
      for (const inc of increments) {
        const key = keys.bucket(inc.ranking, inc.bucket);
        pipeline.zincrby(key, inc.delta, inc.member).pexpireat(key, inc.expireAt);
      }
      await execOrThrow(pipeline);
    },
    async top(plan, n) {
      const target = keys.merged(plan.ranking);
      const sources = plan.buckets.map((b) => keys.bucket(plan.ranking, b));
      const [, flat] = (await execOrThrow(
        redis
          .multi()
          .zunionstore(target, sources.length, ...sources, 'WEIGHTS', ...plan.weights, 'AGGREGATE', 'SUM')
          .zrevrangebyscore(target, '+inf', '(0', 'WITHSCORES', 'LIMIT', 0, n)
          .del(target),
      )) as [number, string[], number];
      const out: Ranked[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i] as string, score: Number(flat[i + 1]) });
      return out;
    },
    async remove(member, sets) {
      const pipeline = redis.pipeline();
      for (const s of sets) pipeline.zrem(keys.bucket(s.ranking, s.bucket), member);
      await execOrThrow(pipeline);
    },
    async intact() {
      return (await redis.exists(keys.rankingsMark)) === 1;
    },
  };
}
