/**
 * Counting an engagement: the post's counter in MongoDB (the fresh copy written through the cache)
 * and its points in the rankings: first the durable copy in MongoDB (what a rebuild reads after Redis
 * lost the rankings), then one increment per Redis sorted set it touches, nothing rescored later.
 */
import type { Clock } from './clock.js';
import type { EngagementStore } from './mongo/engagement-store.js';
import type { PostsStore } from './mongo/posts-store.js';
import type { Counter, PostDoc, PostEntry } from './post.js';
import type { PostReader } from './post-reader.js';
import { type EngagedPost, pointsIncrements, postBuckets, windowPoints } from './ranking-sets.js';
import type { RankingsStore } from './redis/rankings-store.js';

export class EngagementRecorder {
  constructor(
    private readonly store: PostsStore,
    private readonly reader: PostReader,
    private readonly points: EngagementStore,
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
  async rank(post: EngagedPost, weight: number, at: number): Promise<void> {
    const now = this.clock();
    const when = Math.min(at, now);
    const points = windowPoints(weight, when);
    const increments = pointsIncrements(post, points, now, true);
    if (increments.length === 0) return;
    await this.points.add(post, points, when);
    await this.rankings.apply(increments);
  }

  /** A deleted post leaves the post rankings at once; its points stay its author's and tags'. */
  async unrank(postId: string, tags: readonly string[]): Promise<void> {
    await this.points.markDeleted(postId);
    await this.rankings.remove(postId, postBuckets(tags, this.clock()));
  }
}

export const rankedOf = (doc: PostDoc): EngagedPost => ({ postId: doc._id, authorId: doc.authorId, tags: doc.tags });
