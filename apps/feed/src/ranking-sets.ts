/**
 * Which sorted sets an engagement touches and which a read merges. A set is one bucket of one
 * ranking: posts overall or per tag (1h, 24h, 7d), authors and tags (24h, 7d). Adapters turn these
 * descriptions into key names.
 */
import type { RankingWindow } from '@coffeechat/contracts';
import { contribution, mergeWeights } from './scoring.js';
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

export interface Engagement {
  postId: string;
  authorId: string;
  tags: readonly string[];
  weight: number;
  at: number;
}

/**
 * The increments of one engagement (a negative weight takes back an earlier one, e.g. an unlike with
 * the like's original time). Buckets no read will merge any more are skipped.
 */
export function rankingIncrements(e: Engagement, now: number): RankingIncrement[] {
  const out: RankingIncrement[] = [];
  const add = (ranking: Ranking, member: string) => {
    const spec = WINDOWS[ranking.window];
    const { bucket, value } = contribution(spec, e.weight, e.at);
    if (!bucketInWindow(spec, bucket, now)) return;
    out.push({ ranking, bucket, member, delta: value, expireAt: bucketExpiresAt(spec, bucket) });
  };
  for (const window of POPULAR_WINDOWS) {
    add({ kind: 'posts', window, tag: null }, e.postId);
    for (const tag of e.tags) add({ kind: 'posts', window, tag }, e.postId);
  }
  for (const window of RANKING_WINDOWS) {
    add({ kind: 'authors', window }, e.authorId);
    for (const tag of e.tags) add({ kind: 'tags', window }, tag);
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
