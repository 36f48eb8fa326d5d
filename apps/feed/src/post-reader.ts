/**
 * Reads of post documents, cache-aside: Redis first, then one MongoDB query for whatever missed, shared
 * by every concurrent reader of those posts (single-flight), with negative entries for posts that do not
 * exist. Writers hand their fresh copy to `writeThrough`, which wins over any older copy in flight.
 */
import type { FeedMetrics } from './feed-metrics.js';
import type { PostsStore } from './mongo/posts-store.js';
import { type PostDoc, type PostEntry, toEntry } from './post.js';
import type { PostCache } from './redis/post-cache.js';
import { BatchFlight } from './single-flight.js';

export class PostReader {
  private readonly flight = new BatchFlight<PostEntry | null>();

  constructor(
    private readonly cache: PostCache,
    private readonly store: PostsStore,
    private readonly metrics: FeedMetrics,
    /** false with FEED_CACHE=off: every read goes to MongoDB, nothing is shared */
    private readonly cacheEnabled: boolean,
  ) {}

  async get(postId: string): Promise<PostEntry | null> {
    return (await this.getMany([postId])).get(postId) ?? null;
  }

  /** The existing posts among `postIds` (missing ones are absent from the map). */
  async getMany(postIds: readonly string[]): Promise<Map<string, PostEntry>> {
    const out = new Map<string, PostEntry>();
    if (postIds.length === 0) return out;
    if (!this.cacheEnabled) {
      for (const doc of await this.store.findByIds(postIds)) out.set(doc._id, toEntry(doc));
      return out;
    }
    const cached = await this.cache.getMany(postIds);
    const missed: string[] = [];
    cached.forEach((entry, i) => {
      if (entry === undefined) missed.push(postIds[i] as string);
      else if (entry !== null) out.set(entry.postId, entry);
    });
    this.metrics.cacheHits('post', postIds.length - missed.length);
    this.metrics.cacheMisses('post', missed.length);
    if (missed.length > 0) {
      for (const [id, entry] of await this.flight.run(missed, (ids) => this.load(ids))) {
        if (entry) out.set(id, entry);
      }
    }
    return out;
  }

  /** Puts fresh copies (just written or just queried) into the cache; returns their entries. */
  async writeThrough(docs: readonly PostDoc[]): Promise<PostEntry[]> {
    const entries = docs.map(toEntry);
    if (this.cacheEnabled) await this.cache.put(entries, []);
    return entries;
  }

  async markDeleted(postId: string): Promise<void> {
    if (this.cacheEnabled) await this.cache.markDeleted(postId);
  }

  private async load(ids: string[]): Promise<Map<string, PostEntry | null>> {
    this.metrics.cacheLoad('post');
    const docs = await this.store.findByIds(ids);
    const found = new Map<string, PostEntry | null>(docs.map((d) => [d._id, toEntry(d)]));
    const missing = ids.filter((id) => !found.has(id));
    for (const id of missing) found.set(id, null);
    await this.cache.put(
      [...found.values()].filter((e): e is PostEntry => e !== null),
      missing,
    );
    return found;
  }
}
