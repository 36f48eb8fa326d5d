import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import { RoomTracker } from './room-tracker.js';

describe('RoomTracker', () => {
  it('starts at the joined lastSeq and delivers the next seqs once each', () => {
    const t = new RoomTracker();
    t.joined(4, false);
    expect([5, 5, 6, 4, 7].map((s) => t.decide(s))).toEqual([
      'deliver',
      'duplicate',
      'deliver',
      'duplicate',
      'deliver',
    ]);
    expect(t.lastSeq).toBe(7);
  });

  it('reports a gap instead of delivering out of order', () => {
    const t = new RoomTracker();
    t.joined(1, false);
    expect(t.decide(3)).toBe('gap');
    expect(t.lastSeq).toBe(1);
    expect(t.decide(2)).toBe('deliver');
  });

  it('resumes after a given afterSeq and keeps it across joins', () => {
    const t = new RoomTracker(10);
    t.joined(15, false);
    expect(t.resumePoint()).toBe(10);
    expect(t.decide(11)).toBe('deliver');
    t.joined(20, false); // a re-join after reconnect does not skip messages 12..20
    expect(t.resumePoint()).toBe(11);
  });

  it('delivers a jump within what the latest join read from the store (a seq the store lacks), not beyond it', () => {
    const t = new RoomTracker(14);
    expect(t.decide(18)).toBe('gap'); // live: 15..17 may be on their way; join again
    t.joined(20, false); // the re-join's replay: 18, 19, 20 (the store has no 15..17)
    expect([18, 19, 20].map((s) => t.decide(s))).toEqual(['deliver', 'deliver', 'deliver']);
    expect(t.decide(22)).toBe('gap');
  });

  it('accepts one jump after a truncated replay', () => {
    const t = new RoomTracker(0);
    t.joined(3000, true);
    expect(t.decide(2001)).toBe('deliver');
    expect(t.decide(2002)).toBe('deliver');
    t.joined(3000, false);
    expect(t.decide(3002)).toBe('gap'); // past what the store held when the join read it
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, jittered between half and all of it', () => {
    const s = { initialMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, s, () => 0)).toBe(50);
    expect(backoffDelay(0, s, () => 0.999)).toBe(99);
    expect(backoffDelay(3, s, () => 0)).toBe(400);
    expect(backoffDelay(10, s, () => 0)).toBe(500);
    expect(backoffDelay(50, s, () => 0.999)).toBeLessThanOrEqual(1000);
  });
});
