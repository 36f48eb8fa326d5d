/** Posts in MongoDB (`posts`): the durable truth behind every cache. */
import type { Collection, Db } from 'mongodb';
import type { FeedPosition } from '../cursor.js';
import type { Counter, PostDoc } from '../post.js';

export interface PostsStore {
  insert(doc: PostDoc): Promise<void>;
  findByIds(ids: readonly string[]): Promise<PostDoc[]>;
  /** Applies `changes` and bumps `rev`; the updated post, or null when it does not exist. */
  update(id: string, changes: Partial<Pick<PostDoc, 'title' | 'body' | 'tags' | 'updatedAt'>>): Promise<PostDoc | null>;
  increment(id: string, counter: Counter, by: number): Promise<PostDoc | null>;
  remove(id: string): Promise<boolean>;
  /** Up to `n` posts below `after` (or the newest), newest first. */
  page(after: FeedPosition | null, n: number): Promise<PostDoc[]>;
}

export async function mongoPostsStore(db: Db): Promise<PostsStore> {
  const posts: Collection<PostDoc> = db.collection<PostDoc>('posts');
  await posts.createIndex({ createdAt: -1, _id: -1 });
  return {
    async insert(doc) {
      await posts.insertOne(doc);
    },
    findByIds: (ids) => posts.find({ _id: { $in: [...ids] } }).toArray(),
    update: (id, changes) =>
      posts.findOneAndUpdate({ _id: id }, { $set: changes, $inc: { rev: 1 } }, { returnDocument: 'after' }),
    increment: (id, counter, by) =>
      posts.findOneAndUpdate({ _id: id }, { $inc: { [counter]: by, rev: 1 } }, { returnDocument: 'after' }),
    async remove(id) {
      return (await posts.deleteOne({ _id: id })).deletedCount === 1;
    },
    page(after, n) {
      const filter = after
        ? { $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.postId } }] }
        : {};
      return posts.find(filter).sort({ createdAt: -1, _id: -1 }).limit(n).toArray();
    },
  };
}
