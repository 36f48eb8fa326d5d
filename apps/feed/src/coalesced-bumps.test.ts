import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoalescedBumps } from './coalesced-bumps.js';
import type { Generation } from './redis/keys.js';

let bumps: Array<{ at: number; generations: readonly Generation[] }>;
let coalesced: CoalescedBumps;
const lateErrors: unknown[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  bumps = [];
  coalesced = new CoalescedBumps(
    async (generations) => {
      bumps.push({ at: Date.now(), generations });
    },
    250,
    (err) => lateErrors.push(err),
    () => Date.now(),
  );
});
afterEach(() => vi.useRealTimers());

describe('CoalescedBumps', () => {
  it('bumps at once when quiet, then at most once per window however many changes arrive', async () => {
    const start = Date.now();
    await coalesced.request('rank');
    expect(bumps).toEqual([{ at: start, generations: ['rank'] }]);
    for (let i = 0; i < 100; i++) {
      await vi.advanceTimersByTimeAsync(10); // a like every 10 ms for a second
      await coalesced.request('rank');
    }
    await vi.advanceTimersByTimeAsync(250);
    // one at once, then one per 250 ms window: never more than 1000 / 250 + 1 in the second
    expect(bumps.length).toBeLessThanOrEqual(6);
    const gaps = bumps.slice(1).map((b, i) => b.at - (bumps[i]?.at ?? 0));
    expect(gaps.every((gap) => gap >= 250)).toBe(true);
    // the last change is covered by a bump no later than one window after it
    expect(bumps[bumps.length - 1]?.at).toBeGreaterThanOrEqual(start + 1000);
    expect(bumps[bumps.length - 1]?.at).toBeLessThanOrEqual(start + 1000 + 250);
  });

  it('keeps generations apart', async () => {
    await coalesced.request('rank');
    await coalesced.request('feed');
    expect(bumps.map((b) => b.generations)).toEqual([['rank'], ['feed']]);
  });

  it('flush runs what is scheduled, at once, and nothing twice', async () => {
    await coalesced.request('rank');
    await coalesced.request('rank');
    expect(bumps).toHaveLength(1);
    await coalesced.flush();
    expect(bumps).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(bumps).toHaveLength(2);
  });

  it('reports a failed scheduled bump instead of losing it silently', async () => {
    const failing = new CoalescedBumps(
      async () => {
        throw new Error('redis down');
      },
      250,
      (err) => lateErrors.push(err),
      () => Date.now(),
    );
    await expect(failing.request('rank')).rejects.toThrow('redis down');
    await failing.request('rank');
    await vi.advanceTimersByTimeAsync(250);
    expect(lateErrors).toHaveLength(1);
  });
});
