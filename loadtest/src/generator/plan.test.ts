import { describe, expect, it } from 'vitest';
import { dueSends, planIdleUsers, planRooms, shareOf } from './plan.js';

describe('plan', () => {
  it('gives unique SPEC-safe ids and spreads a room over the gateways', () => {
    const rooms = planRooms('abc', 3, 4, 2);
    expect(rooms.map((r) => r.roomId)).toEqual(['ltabcr0', 'ltabcr1', 'ltabcr2']);
    expect(rooms[0]?.members.map((m) => m.gateway)).toEqual([0, 1, 0, 1]);
    const ids = rooms.flatMap((r) => r.members.map((m) => m.userId));
    expect(new Set(ids).size).toBe(12);
    for (const r of rooms) expect(r.roomId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('shares items between workers evenly', () => {
    const items = [0, 1, 2, 3, 4];
    expect(shareOf(items, 0, 2)).toEqual([0, 2, 4]);
    expect(shareOf(items, 1, 2)).toEqual([1, 3]);
    expect(planIdleUsers('x', 3, 2).map((u) => u.gateway)).toEqual([0, 1, 0]);
  });

  it('paces sends open-loop', () => {
    expect(dueSends(100, 0, 0)).toBe(0);
    expect(dueSends(100, 105, 0)).toBe(10);
    expect(dueSends(100, 105, 10)).toBe(0);
    expect(dueSends(100, 1000, 40)).toBe(60); // behind: catch up, do not skip
  });
});
