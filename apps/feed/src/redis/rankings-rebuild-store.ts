/**
 * The Redis side of a rankings rebuild: a lock with a deadline so one replica rebuilds at a time,
 * staged copies of the buckets (same hash tag as the live ones) filled from MongoDB, renamed over the
 * live buckets when complete, and the mark that says the rankings are complete again. The mark is set
 * only while the rebuild still holds the lock: if Redis lost its data again meanwhile, the lock went
 * with it and the mark stays unset.
 */
import type { Redis, Result } from 'ioredis';
import type { Ranking, RankingIncrement } from '../ranking-sets.js';
import { execOrThrow } from './exec.js';
import type { FeedKeys } from './keys.js';

/** KEYS: lock; ARGV: token, ttl ms. */
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
/** KEYS: lock; ARGV: token. */
const UNLOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
/** KEYS: lock, mark; ARGV: token, mark value. */
const MARK_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    feedRenewLock(lock: string, token: string, ttlMs: number): Result<number, Context>;
    feedUnlock(lock: string, token: string): Result<number, Context>;
    feedMarkRankings(lock: string, mark: string, token: string, value: string): Result<number, Context>;
  }
}

export interface StagedBucket {
  ranking: Ranking;
  bucket: number;
  /** epoch ms after which the live bucket may go */
  expireAt: number;
}

export interface RankingsRebuildStore {
  /** Takes the rebuild lock for `ttlMs`; false when another rebuild holds it. */
  lock(token: string, ttlMs: number): Promise<boolean>;
  /** Extends the lock; false when it is not `token`'s any more (expired, or Redis lost it). */
  renew(token: string, ttlMs: number): Promise<boolean>;
  unlock(token: string): Promise<void>;
  /** Adds increments to the staged copies of their buckets, which expire after `ttlMs` unless swapped in. */
  stage(token: string, increments: readonly RankingIncrement[], ttlMs: number): Promise<void>;
  /** Renames the staged buckets over the live ones, each with its live expiry. */
  swap(token: string, buckets: readonly StagedBucket[]): Promise<void>;
  /** Sets the mark to `value` if `token` still holds the lock; false otherwise (nothing is marked). */
  mark(token: string, value: string): Promise<boolean>;
}

export function redisRankingsRebuildStore(redis: Redis, keys: FeedKeys): RankingsRebuildStore {
  if (!redis.feedRenewLock) {
    redis.defineCommand('feedRenewLock', { numberOfKeys: 1, lua: RENEW_LUA });
    redis.defineCommand('feedUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
    redis.defineCommand('feedMarkRankings', { numberOfKeys: 2, lua: MARK_LUA });
  }
  return {
    async lock(token, ttlMs) {
      return (await redis.set(keys.rebuildLock, token, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async renew(token, ttlMs) {
      return (await redis.feedRenewLock(keys.rebuildLock, token, ttlMs)) === 1;
    },
    async unlock(token) {
      await redis.feedUnlock(keys.rebuildLock, token);
    },
    async stage(token, increments, ttlMs) {
      const pipeline = redis.pipeline();
      const touched = new Set<string>();
      for (const inc of increments) {
        const key = keys.staged(inc.ranking, inc.bucket, token);
        pipeline.zincrby(key, inc.delta, inc.member);
        touched.add(key);
      }
      for (const key of touched) pipeline.pexpire(key, ttlMs);
      await execOrThrow(pipeline);
    },
    async swap(token, buckets) {
      const pipeline = redis.pipeline();
      for (const b of buckets) {
        const live = keys.bucket(b.ranking, b.bucket);
        pipeline.rename(keys.staged(b.ranking, b.bucket, token), live).pexpireat(live, b.expireAt);
      }
      await execOrThrow(pipeline);
    },
    async mark(token, value) {
      return (await redis.feedMarkRankings(keys.rebuildLock, keys.rankingsMark, token, value)) === 1;
    },
  };
}
