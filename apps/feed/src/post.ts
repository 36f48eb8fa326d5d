/**
 * A post as stored (MongoDB document) and as served (the SPEC's JSON, serialized once when it is
 * cached and then sent as is). `rev` grows with every change, so a cache can refuse an older copy.
 */
import type { Post } from '@coffeechat/contracts';

export interface PostDoc {
  _id: string;
  authorId: string;
  title: string;
  body: string;
  tags: string[];
  createdAt: number;
  updatedAt: number;
  views: number;
  likes: number;
  chats: number;
  rooms: number;
  rev: number;
}

export type Counter = 'views' | 'likes' | 'chats' | 'rooms';

export function toPost(doc: PostDoc): Post {
  return {
    postId: doc._id,
    authorId: doc.authorId,
    title: doc.title,
    body: doc.body,
    tags: doc.tags,
    createdAt: new Date(doc.createdAt).toISOString(),
    updatedAt: new Date(doc.updatedAt).toISOString(),
    views: doc.views,
    likes: doc.likes,
    chats: doc.chats,
    rooms: doc.rooms,
  };
}

/** Tags compare case-insensitively; they are stored lower-cased, once each, in the order given. */
export function normalizeTags(tags: readonly string[] | undefined): string[] {
  return [...new Set((tags ?? []).map((t) => t.toLowerCase()))];
}

/**
 * What caches and readers pass around: the served JSON, serialized once, and its revision. `json`
 * always starts with `{"postId"`, so list responses can prepend fields without parsing it.
 */
export interface PostEntry {
  postId: string;
  rev: number;
  json: string;
}

export function toEntry(doc: PostDoc): PostEntry {
  return { postId: doc._id, rev: doc.rev, json: JSON.stringify(toPost(doc)) };
}

/** The post behind an entry, for the write paths that decide on its author or tags. */
export function postOf(entry: PostEntry): Post {
  return JSON.parse(entry.json) as Post;
}
