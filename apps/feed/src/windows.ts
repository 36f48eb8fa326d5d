/**
 * Popularity windows and their time buckets. Every engagement lands in one bucket per window; a
 * window is read by merging the buckets that overlap it, so it is rounded out to whole buckets
 * (the 1h window counts the last 60–65 minutes, 24h the last 24–25 hours, 7d the last 7–7¼ days).
 */
import type { PopularWindow, RankingWindow } from '@coffeechat/contracts';

export type WindowName = PopularWindow;

export interface WindowSpec {
  name: WindowName;
  lengthMs: number;
  bucketMs: number;
  /** engagement loses half its weight every `halfLifeMs` */
  halfLifeMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const WINDOWS: Readonly<Record<WindowName, WindowSpec>> = {
  '1h': { name: '1h', lengthMs: HOUR, bucketMs: 5 * MINUTE, halfLifeMs: 30 * MINUTE },
  '24h': { name: '24h', lengthMs: DAY, bucketMs: HOUR, halfLifeMs: 6 * HOUR },
  '7d': { name: '7d', lengthMs: 7 * DAY, bucketMs: 6 * HOUR, halfLifeMs: 2 * DAY },
};

export const POPULAR_WINDOWS: readonly WindowName[] = ['1h', '24h', '7d'];
/** Author and tag rankings move slowly; an hour is too short a window for them. */
export const RANKING_WINDOWS: readonly RankingWindow[] = ['24h', '7d'];

export const DEFAULT_POPULAR_WINDOW: WindowName = '24h';
export const DEFAULT_RANKING_WINDOW: RankingWindow = '24h';

export function bucketStart(spec: WindowSpec, t: number): number {
  return Math.floor(t / spec.bucketMs) * spec.bucketMs;
}

/** The smallest bucket of any window; every other window's bucket is a whole number of them. */
export const FINEST_BUCKET_MS = Math.min(...Object.values(WINDOWS).map((w) => w.bucketMs));

/** The finest bucket holding `t`: it lies in exactly one bucket of each window. */
export function finestBucketStart(t: number): number {
  return Math.floor(t / FINEST_BUCKET_MS) * FINEST_BUCKET_MS;
}

/** The oldest bucket start any window merges at `now`: older engagement counts nowhere. */
export function oldestLiveBucket(now: number): number {
  return Math.min(...Object.values(WINDOWS).map((spec) => bucketStart(spec, now - spec.lengthMs)));
}

/** Starts of the buckets a read at `now` merges, oldest first. */
export function windowBuckets(spec: WindowSpec, now: number): number[] {
  const first = bucketStart(spec, now - spec.lengthMs);
  const last = bucketStart(spec, now);
  const out: number[] = [];
  for (let b = first; b <= last; b += spec.bucketMs) out.push(b);
  return out;
}

/** Whether a read at `now` still merges the bucket starting at `bucket`. */
export function bucketInWindow(spec: WindowSpec, bucket: number, now: number): boolean {
  return bucket >= bucketStart(spec, now - spec.lengthMs) && bucket <= bucketStart(spec, now);
}

/** After this instant no read merges the bucket any more, so its key may expire. */
export function bucketExpiresAt(spec: WindowSpec, bucket: number): number {
  // a read at `now` merges `bucket` while now < bucket + lengthMs + bucketMs; one more bucket is slack
  return bucket + spec.lengthMs + 2 * spec.bucketMs;
}
