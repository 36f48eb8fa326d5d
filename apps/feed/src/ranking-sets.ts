/**
 * Which sorted sets an engagement touches and which a read merges. A set is one bucket of one
 * ranking: posts overall or per tag (1h, 24h, 7d), authors and tags (24h, 7d). Adapters turn these
 * descriptions into key names.
 */
import type { RankingWindow } from '@coffeechat/contracts';
import { type Contribution, contribution, mergeWeights } from './scoring.js';
import {
  bucketExpiresAt,
  bucketInWindow,
  POPULAR_WINDOWS,
  RANKING_WINDOWS,
  WINDOWS,
  type WindowName,
  windowBuckets,
} from './windows.js';

export type Ranking =
  | { kind: 'posts'; window: WindowName; tag: string | null }
  | { kind: 'authors'; window: RankingWindow }
  | { kind: 'tags'; window: RankingWindow };

export interface RankingIncrement {
  ranking: Ranking;
  bucket: number;
  member: string;
  delta: number;
  /** epoch ms after which the bucket's key may go */
  expireAt: number;
}

/** Whose engagement it is: the post, its author and the tags it had at the time. */
export interface EngagedPost {
  postId: string;
  authorId: string;
  tags: readonly string[];
}

/** What one engagement (or a sum of engagements) adds in each window: the bucket and the value there. */
export type WindowPoints = Readonly<Record<WindowName, Contribution>>;

export function windowPoints(weight: number, at: number): WindowPoints {
  const out = {} as Record<WindowName, Contribution>;
  for (const window of POPULAR_WINDOWS) out[window] = contribution(WINDOWS[window], weight, at);
  return out;
}

/**
 * The increments of `points` earned by `post` (negative to take back an earlier engagement, e.g. an
 * unlike with the like's time): in the post rankings (overall and per tag) unless
 * `postRankings` is false (a deleted post's past engagement), and in its author's and tags' rankings.
 * Buckets no read at `now` merges are skipped.
 */
export function pointsIncrements(
  post: EngagedPost,
  points: WindowPoints,
  now: number,
  postRankings: boolean,
): RankingIncrement[] {
  const out: RankingIncrement[] = [];
  const add = (ranking: Ranking, member: string) => {
    const spec = WINDOWS[ranking.window];
    const { bucket, value } = points[ranking.window];
    if (!bucketInWindow(spec, bucket, now)) return;
    out.push({ ranking, bucket, member, delta: value, expireAt: bucketExpiresAt(spec, bucket) });
  };
  if (postRankings) {
    for (const window of POPULAR_WINDOWS) {
      add({ kind: 'posts', window, tag: null }, post.postId);
      for (const tag of post.tags) add({ kind: 'posts', window, tag }, post.postId);
    }
  }
  for (const window of RANKING_WINDOWS) {
    add({ kind: 'authors', window }, post.authorId);
    for (const tag of post.tags) add({ kind: 'tags', window }, tag);
  }
  return out;
}

export interface MergePlan {
  ranking: Ranking;
  buckets: number[];
  weights: number[];
}

/** The buckets a read of `ranking` at `now` merges, with the weights that decay them to `now`. */
export function mergePlan(ranking: Ranking, now: number): MergePlan {
  const spec = WINDOWS[ranking.window];
  const buckets = windowBuckets(spec, now);
  return { ranking, buckets, weights: mergeWeights(spec, buckets, now) };
}

/** Every live bucket of every post ranking a post with these tags can be in (to remove a deleted post). */
export function postBuckets(tags: readonly string[], now: number): Array<{ ranking: Ranking; bucket: number }> {
  const out: Array<{ ranking: Ranking; bucket: number }> = [];
  for (const window of POPULAR_WINDOWS) {
    const buckets = windowBuckets(WINDOWS[window], now);
    for (const tag of [null, ...tags]) {
      for (const bucket of buckets) out.push({ ranking: { kind: 'posts', window, tag }, bucket });
    }
  }
  return out;
}
