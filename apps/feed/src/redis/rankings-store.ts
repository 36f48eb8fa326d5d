/**
 * The ranking sorted sets: one per ranking and time bucket. An engagement is a ZINCRBY per set it
 * touches (pipelined); a read merges the window's buckets with ZUNIONSTORE and the decay weights, and
 * reads the rankings mark after the merge in the same round trip.
 */
import type { Redis } from 'ioredis';
import type { MergePlan, Ranking, RankingIncrement } from '../ranking-sets.js';
import { execOrThrow } from './exec.js';
import type { FeedKeys } from './keys.js';

export interface Ranked {
  member: string;
  score: number;
}

export interface TopRead {
  /** the top members of the merged buckets, best first; members at or below zero are left out */
  ranked: Ranked[];
  /** the mark was there after the merge: Redis did not lose the sets before the read (see `intact`) */
  intact: boolean;
}

export interface RankingsStore {
  apply(increments: readonly RankingIncrement[]): Promise<void>;
  /** The top `n` of a ranking and, read after it on the same connection, whether the rankings are intact. */
  top(plan: MergePlan, n: number): Promise<TopRead>;
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
      // one round trip: the merge as a transaction (no other read deletes the target mid-way), then the mark
      const replies = await execOrThrow(
        redis.pipeline([
          ['multi'],
          ['zunionstore', target, sources.length, ...sources, 'WEIGHTS', ...plan.weights, 'AGGREGATE', 'SUM'],
          ['zrevrangebyscore', target, '+inf', '(0', 'WITHSCORES', 'LIMIT', 0, n],
          ['del', target],
          ['exec'],
          ['exists', keys.rankingsMark],
        ]),
      );
      const merge = replies[4] as unknown[];
      const failed = merge.find((reply) => reply instanceof Error);
      if (failed) throw failed;
      const flat = merge[1] as string[];
      const ranked: Ranked[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2)
        ranked.push({ member: flat[i] as string, score: Number(flat[i + 1]) });
      return { ranked, intact: replies[5] === 1 };
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
