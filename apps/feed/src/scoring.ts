/**
 * Time-decayed engagement, folded into sorted-set scores so that an engagement is one `ZINCRBY` and
 * nothing is ever rescored as time passes.
 *
 * The popularity of a post at time `now` is P(now) = Σ wᵢ · 2^((tᵢ − now) / h) over its engagements
 * (weight wᵢ at time tᵢ, half-life h). Ranking by P(now) is ranking by log₂ P = log₂ Σ wᵢ·2^(tᵢ/h) − now/h,
 * i.e. by "log-weight + t/τ" (τ = h / ln 2); the `now` term is common to every post and drops out of
 * the order. Sorted sets cannot add in log space, so each bucket stores the linear form relative to its
 * own start b: an engagement adds w · 2^((t − b) / h), a number between w and w · 2^(bucket/h), which
 * never overflows because each bucket has its own epoch. A read merges the window's buckets with
 * ZUNIONSTORE … WEIGHTS 2^((b − now) / h), which gives exactly P(now): decayed points as of the read.
 */
import type { WindowSpec } from './windows.js';
import { bucketStart } from './windows.js';

export type EngagementKind = 'view' | 'like' | 'chat' | 'room';

/** Points per engagement before decay (see apps/feed/RUNBOOK.md for the reasoning and an example). */
export const WEIGHTS: Readonly<Record<EngagementKind, number>> = {
  /** a distinct viewer, at most once per hour */
  view: 1,
  like: 5,
  /** a stored chat message in a room arranged from the post, up to `CHAT_CAP_PER_ROOM_HOUR` per room and hour */
  chat: 0.5,
  /** a coffee chat arranged from the post: the strongest signal the product has */
  room: 8,
};

/** Chat messages per room and clock hour that count toward ranking; one chatty room cannot dominate. */
export const CHAT_CAP_PER_ROOM_HOUR = 20;

export interface Contribution {
  bucket: number;
  /** what to add to the post's score in that bucket */
  value: number;
}

/** Where an engagement of `weight` at `at` goes in a window's buckets, and how much it adds there. */
export function contribution(spec: WindowSpec, weight: number, at: number): Contribution {
  const bucket = bucketStart(spec, at);
  return { bucket, value: weight * 2 ** ((at - bucket) / spec.halfLifeMs) };
}

/** ZUNIONSTORE weights that bring each bucket's scores to decayed points as of `now`. */
export function mergeWeights(spec: WindowSpec, buckets: readonly number[], now: number): number[] {
  return buckets.map((b) => 2 ** ((b - now) / spec.halfLifeMs));
}

/** Points an engagement of `weight` at `at` is worth at `now` (what the merged score adds up). */
export function decayedPoints(spec: WindowSpec, weight: number, at: number, now: number): number {
  return weight * 2 ** ((at - now) / spec.halfLifeMs);
}
