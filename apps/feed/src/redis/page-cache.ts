/**
 * Cache-aside for computed pages (feed pages, ranked lists). Each page is stored with the generation
 * it was computed at; a write that must show up at once bumps the generation instead of hunting for
 * keys, and one MGET reads page and generation together. A load racing a bump stores under the old
 * generation and is simply never served.
 */
import type { Redis } from 'ioredis';
import { execOrThrow } from './exec.js';
import type { FeedKeys, Generation, PageKind } from './keys.js';

export type PageRead = { hit: true; value: string } | { hit: false; generation: string };

export interface PageCache {
  get(kind: PageKind, variant: string, generation: Generation): Promise<PageRead>;
  put(kind: PageKind, variant: string, generation: string, value: string, ttlMs: number): Promise<void>;
  bump(generations: readonly Generation[]): Promise<void>;
}

export function redisPageCache(redis: Redis, keys: FeedKeys): PageCache {
  return {
    async get(kind, variant, generation) {
      const [gen, page] = await redis.mget(keys.generation(generation), keys.page(kind, variant));
      const current = gen ?? '0';
      if (page && page.length > current.length && page[current.length] === '\n' && page.startsWith(current)) {
        return { hit: true, value: page.slice(current.length + 1) };
      }
      return { hit: false, generation: current };
    },
    async put(kind, variant, generation, value, ttlMs) {
      await redis.set(keys.page(kind, variant), `${generation}\n${value}`, 'PX', ttlMs);
    },
    async bump(generations) {
      const pipeline = redis.pipeline();
      for (const g of generations) pipeline.incr(keys.generation(g));
      await execOrThrow(pipeline);
    },
  };
}

/** FEED_CACHE=off: every read misses. */
export const noPageCache: PageCache = {
  get: async () => ({ hit: false, generation: '0' }),
  put: async () => {},
  bump: async () => {},
};
