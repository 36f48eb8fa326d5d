/**
 * Counting an engagement: the post's counter in MongoDB (the fresh copy written through the cache)
 * and its points in the rankings (one increment per sorted set it touches, nothing rescored later).
 */
import type { Clock } from './clock.js';
import type { PostsStore } from './mongo/posts-store.js';
import type { Counter, PostDoc, PostEntry } from './post.js';
import type { PostReader } from './post-reader.js';
import { rankingIncrements } from './ranking-sets.js';
import type { RankingsStore } from './redis/rankings-store.js';

export interface Ranked {
  postId: string;
  authorId: string;
  tags: readonly string[];
}

export class EngagementRecorder {
  constructor(
    private readonly store: PostsStore,
    private readonly reader: PostReader,
    private readonly rankings: RankingsStore,
    private readonly clock: Clock,
  ) {}

  /** Adds `by` to the post's counter; the updated post, or null when it is gone. */
  async count(postId: string, counter: Counter, by: number): Promise<{ doc: PostDoc; entry: PostEntry } | null> {
    const doc = await this.store.increment(postId, counter, by);
    if (!doc) return null;
    const [entry] = await this.reader.writeThrough([doc]);
    return { doc, entry: entry as PostEntry };
  }

  /** Adds `weight` points (negative to take some back) for an engagement at `at`, never later than now. */
  async rank(post: Ranked, weight: number, at: number): Promise<void> {
    const now = this.clock();
    await this.rankings.apply(rankingIncrements({ ...post, weight, at: Math.min(at, now) }, now));
  }
}

export const rankedOf = (doc: PostDoc): Ranked => ({ postId: doc._id, authorId: doc.authorId, tags: doc.tags });
