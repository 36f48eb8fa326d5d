/**
 * Cache-aside copies of post documents: `<rev>\n<json>`, with negative entries (`0\n`) for posts that
 * do not exist and tombstones (`MAX\n`) for deleted ones. Writes are compare-and-set on the revision
 * in one script, so a slow loader can never put back an older copy over a newer write-through.
 */
import type { Redis, Result } from 'ioredis';
import type { PostEntry } from '../post.js';
import { execOrThrow } from './exec.js';
import type { FeedKeys } from './keys.js';

const CAS_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local rev = tonumber(string.match(cur, '^(%d+)'))
  if rev and rev >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '\\n' .. ARGV[2], 'PX', ARGV[3])
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    feedCasPost(key: string, rev: number, json: string, ttlMs: number): Result<number, Context>;
  }
}

export const PostCacheTtl = {
  postMs: 300_000,
  /** a missing post: short, ids are random and a later create overwrites it anyway (rev 1 > 0) */
  missingMs: 30_000,
  /** a deleted post: outlives any load that started before the delete */
  deletedMs: 300_000,
} as const;

const MISSING_REV = 0;
const DELETED_REV = Number.MAX_SAFE_INTEGER;

/** A cache read: the entry, null for a post known not to exist, undefined for a miss. */
export type CachedPost = PostEntry | null | undefined;

export interface PostCache {
  getMany(postIds: readonly string[]): Promise<CachedPost[]>;
  /** Stores found posts and negative entries for missing ones (compare-and-set on `rev`). */
  put(found: readonly PostEntry[], missing: readonly string[]): Promise<void>;
  markDeleted(postId: string): Promise<void>;
}

export function redisPostCache(redis: Redis, keys: FeedKeys): PostCache {
  if (!redis.feedCasPost) redis.defineCommand('feedCasPost', { numberOfKeys: 1, lua: CAS_LUA });
  return {
    async getMany(postIds) {
      if (postIds.length === 0) return [];
      const values = await redis.mget(postIds.map(keys.post));
      return values.map((value, i): CachedPost => {
        if (value === null) return undefined;
        const nl = value.indexOf('\n');
        const json = value.slice(nl + 1);
        if (json === '') return null;
        return { postId: postIds[i] as string, rev: Number(value.slice(0, nl)), json };
      });
    },
    async put(found, missing) {
      if (found.length === 0 && missing.length === 0) return;
      const pipeline = redis.pipeline();
      for (const e of found) pipeline.feedCasPost(keys.post(e.postId), e.rev, e.json, PostCacheTtl.postMs);
      for (const id of missing) pipeline.feedCasPost(keys.post(id), MISSING_REV, '', PostCacheTtl.missingMs);
      await execOrThrow(pipeline);
    },
    async markDeleted(postId) {
      // a plain SET: the tombstone must win over any copy, whatever its revision
      await redis.set(keys.post(postId), `${DELETED_REV}\n`, 'PX', PostCacheTtl.deletedMs);
    },
  };
}

/** FEED_CACHE=off: every read misses and nothing is kept. */
export const noPostCache: PostCache = {
  getMany: async (postIds) => postIds.map(() => undefined),
  put: async () => {},
  markDeleted: async () => {},
};
