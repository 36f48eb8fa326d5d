/**
 * Likes in MongoDB (`likes`), one document per (post, user) with `_id` = `postId/userId` (post ids have
 * no `/`), so liking twice is a duplicate key and unliking twice finds nothing: idempotent without
 * transactions. A like remembers when it was given and under which tags, so an unlike can take back
 * exactly the ranking points it added.
 */
import type { Collection, Db } from 'mongodb';
import { MongoServerError } from 'mongodb';

export interface LikeDoc {
  _id: string;
  postId: string;
  userId: string;
  at: number;
  authorId: string;
  tags: string[];
}

export interface LikesStore {
  /** false when the user already likes the post */
  add(like: Omit<LikeDoc, '_id'>): Promise<boolean>;
  /** the removed like, or null when there was none */
  remove(postId: string, userId: string): Promise<LikeDoc | null>;
  removeAll(postId: string): Promise<void>;
}

const DUPLICATE_KEY = 11000;
const likeId = (postId: string, userId: string) => `${postId}/${userId}`;

export async function mongoLikesStore(db: Db): Promise<LikesStore> {
  const likes: Collection<LikeDoc> = db.collection<LikeDoc>('likes');
  await likes.createIndex({ postId: 1 });
  return {
    async add(like) {
      try {
        await likes.insertOne({ _id: likeId(like.postId, like.userId), ...like });
        return true;
      } catch (err) {
        if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return false;
        throw err;
      }
    },
    remove: (postId, userId) => likes.findOneAndDelete({ _id: likeId(postId, userId) }),
    async removeAll(postId) {
      await likes.deleteMany({ postId });
    },
  };
}
