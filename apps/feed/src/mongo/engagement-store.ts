/**
 * The ranking points in MongoDB (`engagement`), the durable copy the Redis rankings are rebuilt from
 * when Redis loses them. One document per post, finest time bucket (5 minutes) and tag set, holding for
 * each window the same decay-folded value the window's Redis bucket got (`w · 2^((t − b)/h)`, summed):
 * an engagement is one upsert, a rebuild reads each post's recent buckets instead of every event, and
 * a tag edit starts new documents, so earlier points stay under the tags the post had, as in Redis.
 */
import type { Collection, Db } from 'mongodb';
import { MongoServerError } from 'mongodb';
import type { EngagedPost, WindowPoints } from '../ranking-sets.js';
import { finestBucketStart, POPULAR_WINDOWS, type WindowName } from '../windows.js';

export interface EngagementDoc {
  _id: string;
  postId: string;
  authorId: string;
  tags: string[];
  /** start of the finest bucket the engagement fell in; every window's bucket contains it */
  at: number;
  /** per window: the value added to the post in the window's bucket that contains `at` */
  points: Record<WindowName, number>;
  /** the post was deleted: its points count for its author and tags only */
  deleted?: boolean;
}

export interface EngagementScan {
  next(): Promise<EngagementDoc[]>;
  close(): Promise<void>;
}

export interface EngagementStore {
  add(post: EngagedPost, points: WindowPoints, at: number): Promise<void>;
  markDeleted(postId: string): Promise<void>;
  /**
   * The documents with `at` ≥ `since`, one query read in batches of up to `n`, unsorted (a page per query
   * cost FerretDB a scan each, 744 records/s at 10,000; a sorted query a sort of everything before the
   * first batch, over 5 s at 100,000). A document changed during the scan may come in its old or new
   * state, or, on some backends, twice (the caller drops repeats). `next()` is empty at the end;
   * `maxTimeMs` bounds the whole scan on the server.
   */
  scan(since: number, n: number, maxTimeMs: number): EngagementScan;
  /** Drops documents older than `before` (no window reaches them any more); how many went. */
  prune(before: number): Promise<number>;
}

const DUPLICATE_KEY = 11000;

export async function mongoEngagementStore(db: Db): Promise<EngagementStore> {
  const docs: Collection<EngagementDoc> = db.collection<EngagementDoc>('engagement');
  await docs.createIndex({ postId: 1 });
  await docs.createIndex({ at: 1 });
  return {
    async add(post, points, at) {
      const slot = finestBucketStart(at);
      // post ids have no `/`, tags no `,` (contracts): one document per post, slot and tag set
      const _id = `${post.postId}/${slot}/${post.tags.join(',')}`;
      const inc: Record<string, number> = {};
      for (const window of POPULAR_WINDOWS) inc[`points.${window}`] = points[window].value;
      const upsert = () =>
        docs.updateOne(
          { _id },
          {
            $inc: inc,
            $setOnInsert: { postId: post.postId, authorId: post.authorId, tags: [...post.tags], at: slot },
          },
          { upsert: true },
        );
      try {
        await upsert();
      } catch (err) {
        // two first engagements of a slot raced to insert it: the loser's increment is an update now
        if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
        await upsert();
      }
    },
    async markDeleted(postId) {
      await docs.updateMany({ postId }, { $set: { deleted: true } });
    },
    scan(since, n, maxTimeMs) {
      const cursor = docs
        .find({ at: { $gte: since } })
        .batchSize(n)
        .maxTimeMS(maxTimeMs);
      return {
        async next() {
          const batch: EngagementDoc[] = [];
          while (batch.length < n) {
            const doc = await cursor.next();
            if (!doc) break;
            batch.push(doc);
          }
          return batch;
        },
        close: () => cursor.close(),
      };
    },
    async prune(before) {
      return (await docs.deleteMany({ at: { $lt: before } })).deletedCount;
    },
  };
}
