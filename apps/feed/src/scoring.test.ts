import { describe, expect, it } from 'vitest';
import type { Clock } from './clock.js';
import { type EngagedPost, mergePlan, pointsIncrements, windowPoints } from './ranking-sets.js';
import { contribution, decayedPoints, mergeWeights, WEIGHTS } from './scoring.js';
import {
  bucketExpiresAt,
  bucketInWindow,
  bucketStart,
  FINEST_BUCKET_MS,
  finestBucketStart,
  oldestLiveBucket,
  WINDOWS,
  windowBuckets,
} from './windows.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

/** The increments of one engagement of `weight` at `at`, as the recorder makes them. */
const incrementsOf = (post: EngagedPost, weight: number, at: number, now: number) =>
  pointsIncrements(post, windowPoints(weight, at), now, true);

/** A sorted set per (ranking, bucket) in memory, merged the way ZUNIONSTORE … WEIGHTS does it. */
function simulate(now: Clock) {
  const sets = new Map<string, Map<string, number>>();
  const keyOf = (r: object, b: number) => `${JSON.stringify(r)}@${b}`;
  return {
    engage(postId: string, weight: number, at: number, tags: string[] = []) {
      for (const inc of incrementsOf({ postId, authorId: `a-${postId}`, tags }, weight, at, now())) {
        const key = keyOf(inc.ranking, inc.bucket);
        const set = sets.get(key) ?? new Map<string, number>();
        set.set(inc.member, (set.get(inc.member) ?? 0) + inc.delta);
        sets.set(key, set);
      }
    },
    popular(window: '1h' | '24h' | '7d', tag: string | null = null) {
      const ranking = { kind: 'posts', window, tag } as const;
      const plan = mergePlan(ranking, now());
      const merged = new Map<string, number>();
      plan.buckets.forEach((b, i) => {
        for (const [member, score] of sets.get(keyOf(ranking, b)) ?? []) {
          merged.set(member, (merged.get(member) ?? 0) + score * (plan.weights[i] as number));
        }
      });
      return [...merged.entries()].sort((a, b) => b[1] - a[1]);
    },
  };
}

describe('time decay folded into the score', () => {
  it('a newer engagement outranks an older equal one, and keeps doing so as time passes', () => {
    let now = T0;
    const sim = simulate(() => now);
    sim.engage('old', WEIGHTS.like, T0 - 3 * HOUR);
    sim.engage('new', WEIGHTS.like, T0 - 1 * HOUR);
    for (const window of ['24h', '7d'] as const) {
      expect(sim.popular(window).map(([id]) => id)).toEqual(['new', 'old']);
    }
    now = T0 + 5 * HOUR; // nothing rescored, the order still holds
    expect(sim.popular('24h').map(([id]) => id)).toEqual(['new', 'old']);
  });

  it('an engagement one half-life older is worth half as much', () => {
    const now = T0;
    const sim = simulate(() => now);
    const h = WINDOWS['24h'].halfLifeMs;
    sim.engage('twice-old', 2 * WEIGHTS.like, now - h - 10 * MIN);
    sim.engage('once-new', WEIGHTS.like, now - 10 * MIN);
    const scores = new Map(sim.popular('24h'));
    expect(scores.get('twice-old')).toBeCloseTo(scores.get('once-new') as number, 9);
    expect(scores.get('once-new')).toBeCloseTo(WEIGHTS.like * 2 ** ((-10 * MIN) / h), 9);
  });

  it('the merged score equals the decayed points of every engagement, across buckets', () => {
    const now = T0 + 17 * MIN;
    const sim = simulate(() => now);
    const events = [
      { w: WEIGHTS.view, at: now - 2 * MIN },
      { w: WEIGHTS.like, at: now - 47 * MIN },
      { w: WEIGHTS.chat, at: now - 5 * HOUR - 3 * MIN },
      { w: WEIGHTS.room, at: now - 20 * HOUR },
    ];
    for (const e of events) sim.engage('p', e.w, e.at);
    const expected = events.reduce((s, e) => s + decayedPoints(WINDOWS['24h'], e.w, e.at, now), 0);
    expect(sim.popular('24h')[0]?.[1]).toBeCloseTo(expected, 9);
  });

  it('stores a bounded number per bucket, whatever the date (no overflow)', () => {
    for (const spec of Object.values(WINDOWS)) {
      const far = Date.UTC(2090, 0, 1);
      const { bucket, value } = contribution(spec, 1, far + spec.bucketMs - 1);
      expect(bucket).toBe(bucketStart(spec, far));
      expect(value).toBeGreaterThanOrEqual(1);
      expect(value).toBeLessThan(2 ** (spec.bucketMs / spec.halfLifeMs));
      expect(mergeWeights(spec, [bucket], far + spec.bucketMs)[0]).toBeLessThanOrEqual(1);
    }
  });

  it('an unlike with the like’s time and weight takes back exactly what the like added', () => {
    const now = T0;
    const sim = simulate(() => now);
    sim.engage('p', WEIGHTS.view, now - 30 * MIN);
    const before = sim.popular('24h')[0]?.[1] as number;
    sim.engage('p', WEIGHTS.like, now - 20 * MIN);
    sim.engage('p', -WEIGHTS.like, now - 20 * MIN);
    expect(sim.popular('24h')[0]?.[1]).toBeCloseTo(before, 12);
  });
});

describe('window boundaries', () => {
  it('1h: buckets overlapping the last hour are merged; one bucket earlier is not', () => {
    const spec = WINDOWS['1h'];
    const now = T0 + 2 * MIN; // inside the 12:00 bucket
    const buckets = windowBuckets(spec, now);
    expect(buckets[0]).toBe(T0 - HOUR); // 11:00, which holds now - 1h (11:02)
    expect(buckets.at(-1)).toBe(T0);
    expect(buckets).toHaveLength(13);
    expect(bucketInWindow(spec, bucketStart(spec, now - HOUR), now)).toBe(true);
    expect(bucketInWindow(spec, bucketStart(spec, now - HOUR - spec.bucketMs), now)).toBe(false);
  });

  it('an engagement counts while its bucket overlaps the window and drops out after', () => {
    let now = T0;
    const sim = simulate(() => now);
    sim.engage('edge', WEIGHTS.like, T0 - HOUR); // exactly one hour old
    sim.engage('late', WEIGHTS.like, T0 - HOUR - 5 * MIN - 1); // a bucket before the window
    expect(sim.popular('1h').map(([id]) => id)).toEqual(['edge']);
    expect(sim.popular('24h').map(([id]) => id)).toEqual(['edge', 'late']);
    now = T0 + 5 * MIN; // the 11:00 bucket leaves the 1h window
    expect(sim.popular('1h')).toEqual([]);
    expect(sim.popular('24h')).toHaveLength(2);
  });

  it('24h and 7d windows hold 25 and 29 buckets; older engagements are not written at all', () => {
    expect(windowBuckets(WINDOWS['24h'], T0 + 1)).toHaveLength(25);
    expect(windowBuckets(WINDOWS['7d'], T0 + 1)).toHaveLength(29);
    const incs = incrementsOf({ postId: 'p', authorId: 'a', tags: ['x'] }, 1, T0 - 2 * DAY, T0);
    expect(new Set(incs.map((i) => i.ranking.window))).toEqual(new Set(['7d']));
  });

  it('a bucket key expires only after the last read that merges it', () => {
    for (const spec of Object.values(WINDOWS)) {
      const b = bucketStart(spec, T0);
      const lastReader = b + spec.lengthMs + spec.bucketMs - 1;
      expect(bucketInWindow(spec, b, lastReader)).toBe(true);
      expect(bucketInWindow(spec, b, lastReader + 1)).toBe(false);
      expect(bucketExpiresAt(spec, b)).toBeGreaterThan(lastReader);
    }
  });

  it('per-tag, author and tag rankings get the same increments as the overall ranking', () => {
    const incs = incrementsOf({ postId: 'p', authorId: 'ann', tags: ['go', 'rust'] }, 5, T0, T0);
    const kinds = incs.map(
      (i) => `${i.ranking.kind}:${i.ranking.window}:${'tag' in i.ranking ? i.ranking.tag : ''}:${i.member}`,
    );
    expect(kinds).toEqual([
      'posts:1h:null:p',
      'posts:1h:go:p',
      'posts:1h:rust:p',
      'posts:24h:null:p',
      'posts:24h:go:p',
      'posts:24h:rust:p',
      'posts:7d:null:p',
      'posts:7d:go:p',
      'posts:7d:rust:p',
      'authors:24h::ann',
      'tags:24h::go',
      'tags:24h::rust',
      'authors:7d::ann',
      'tags:7d::go',
      'tags:7d::rust',
    ]);
  });
});

describe('points kept for a rebuild', () => {
  it('every window’s bucket is a whole number of finest buckets, so a finest bucket lies in one bucket of each', () => {
    for (const spec of Object.values(WINDOWS)) {
      expect(spec.bucketMs % FINEST_BUCKET_MS).toBe(0);
      for (let t = T0 - 3 * DAY; t < T0; t += 7 * MIN + 13_000) {
        expect(bucketStart(spec, finestBucketStart(t))).toBe(bucketStart(spec, t));
      }
    }
  });

  it('the oldest live bucket is the first one the widest window merges', () => {
    expect(oldestLiveBucket(T0 + 1)).toBe(windowBuckets(WINDOWS['7d'], T0 + 1)[0]);
    for (const spec of Object.values(WINDOWS)) {
      expect(windowBuckets(spec, T0 + 1)[0]).toBeGreaterThanOrEqual(oldestLiveBucket(T0 + 1));
    }
  });

  it('a deleted post’s points leave the post rankings and stay its author’s and tags’', () => {
    const incs = pointsIncrements({ postId: 'p', authorId: 'ann', tags: ['go'] }, windowPoints(5, T0), T0, false);
    expect(new Set(incs.map((i) => i.ranking.kind))).toEqual(new Set(['authors', 'tags']));
  });
});
