/**
 * Writes and single-post reads (SPEC §5 feed): create, edit and delete by the author or an admin, reads
 * that count a view once per user and hour, idempotent likes. Every change reaches the cache before the
 * response (write-through, or a tombstone), and pages whose order it changes get a new generation, so
 * every read agrees at once (SPEC promises within 1 s); for likes, within the coalescing window.
 */
import { randomBytes } from 'node:crypto';
import type { Identity } from '@coffeechat/auth';
import type { CreatePostBody, UpdatePostBody } from '@coffeechat/contracts';
import { HttpProblem } from '@coffeechat/service-kit';
import type { Clock } from './clock.js';
import type { CoalescedBumps } from './coalesced-bumps.js';
import { type EngagementRecorder, rankedOf } from './engagement.js';
import type { LikesStore } from './mongo/likes-store.js';
import type { PostsStore } from './mongo/posts-store.js';
import { normalizeTags, type PostDoc, type PostEntry, postOf } from './post.js';
import type { PostReader } from './post-reader.js';
import type { EngagementGuards } from './redis/engagement-guards.js';
import type { PageCache } from './redis/page-cache.js';
import { WEIGHTS } from './scoring.js';

export interface PostsServiceDeps {
  store: PostsStore;
  likes: LikesStore;
  reader: PostReader;
  pages: PageCache;
  guards: EngagementGuards;
  engagement: EngagementRecorder;
  /** likes and unlikes reorder the ranked pages: their bumps are coalesced (a like loop is no cache flush loop) */
  rankBumps: CoalescedBumps;
  clock: Clock;
}

const notFound = () => new HttpProblem('NOT_FOUND', 'no such post');

export class PostsService {
  constructor(private readonly deps: PostsServiceDeps) {}

  async create(caller: Identity, body: CreatePostBody): Promise<PostEntry> {
    const now = this.deps.clock();
    const doc: PostDoc = {
      _id: randomBytes(12).toString('base64url'),
      authorId: caller.userId,
      title: body.title,
      body: body.body,
      tags: normalizeTags(body.tags),
      createdAt: now,
      updatedAt: now,
      views: 0,
      likes: 0,
      chats: 0,
      rooms: 0,
      rev: 1,
    };
    await this.deps.store.insert(doc);
    const [entry] = await this.deps.reader.writeThrough([doc]);
    await this.deps.pages.bump(['feed']);
    return entry as PostEntry;
  }

  /** The post, counting the caller's view when it is their first in an hour. */
  async view(caller: Identity, postId: string): Promise<PostEntry> {
    const entry = await this.deps.reader.get(postId);
    if (!entry) throw notFound();
    if (!(await this.deps.guards.firstViewThisHour(postId, caller.userId))) return entry;
    const counted = await this.deps.engagement.count(postId, 'views', 1);
    if (!counted) throw notFound();
    await this.deps.engagement.rank(rankedOf(counted.doc), WEIGHTS.view, this.deps.clock());
    return counted.entry;
  }

  async update(caller: Identity, postId: string, body: UpdatePostBody): Promise<PostEntry> {
    await this.authorized(caller, postId);
    const doc = await this.deps.store.update(postId, {
      ...(body.title !== undefined ? { title: body.title } : {}),
      ...(body.body !== undefined ? { body: body.body } : {}),
      ...(body.tags !== undefined ? { tags: normalizeTags(body.tags) } : {}),
      updatedAt: this.deps.clock(),
    });
    if (!doc) throw notFound();
    // feed and popular pages hold ids and read posts through the cache: the new copy is all they need
    const [entry] = await this.deps.reader.writeThrough([doc]);
    return entry as PostEntry;
  }

  async remove(caller: Identity, postId: string): Promise<void> {
    const post = await this.authorized(caller, postId);
    if (!(await this.deps.store.remove(postId))) throw notFound();
    await this.deps.reader.markDeleted(postId);
    await this.deps.likes.removeAll(postId);
    await this.deps.engagement.unrank(postId, post.tags);
    await this.deps.pages.bump(['feed', 'rank']);
  }

  async like(caller: Identity, postId: string): Promise<void> {
    const entry = await this.deps.reader.get(postId);
    if (!entry) throw notFound();
    const post = postOf(entry);
    const at = this.deps.clock();
    const added = await this.deps.likes.add({
      postId,
      userId: caller.userId,
      at,
      authorId: post.authorId,
      tags: post.tags,
    });
    if (!added) return;
    const counted = await this.deps.engagement.count(postId, 'likes', 1);
    if (!counted) {
      await this.deps.likes.remove(postId, caller.userId);
      throw notFound();
    }
    await this.deps.engagement.rank(rankedOf(counted.doc), WEIGHTS.like, at);
    await this.deps.rankBumps.request('rank');
  }

  async unlike(caller: Identity, postId: string): Promise<void> {
    if (!(await this.deps.reader.get(postId))) throw notFound();
    const like = await this.deps.likes.remove(postId, caller.userId);
    if (!like) return;
    if (!(await this.deps.engagement.count(postId, 'likes', -1))) throw notFound();
    // take back exactly what the like added: same time, same tags, so the same buckets and amounts
    await this.deps.engagement.rank({ postId, authorId: like.authorId, tags: like.tags }, -WEIGHTS.like, like.at);
    await this.deps.rankBumps.request('rank');
  }

  private async authorized(caller: Identity, postId: string) {
    const entry = await this.deps.reader.get(postId);
    if (!entry) throw notFound();
    const post = postOf(entry);
    if (post.authorId !== caller.userId && !caller.admin) {
      throw new HttpProblem('FORBIDDEN', 'only the author or an admin may change this post');
    }
    return post;
  }
}
