import { describe, expect, it } from 'vitest';
import { MembershipCache, type RoomInfo } from './membership-cache.js';

function setup(options: { ttlMs?: number; maxEntries?: number } = {}) {
  const db = new Map<string, RoomInfo>([['a', { roomId: 'a', postId: null, memberIds: ['u1'] }]]);
  let now = 0;
  const loads: string[][] = [];
  let gate: Promise<void> | undefined;
  const cache = new MembershipCache(
    async (ids) => {
      loads.push([...ids]);
      const snapshot = new Map([...db].filter(([id]) => ids.includes(id)));
      await gate;
      return snapshot;
    },
    { ...options, now: () => now },
  );
  return {
    cache,
    db,
    loads,
    advance: (ms: number) => {
      now += ms;
    },
    setGate: (p: Promise<void> | undefined) => {
      gate = p;
    },
  };
}

describe('MembershipCache', () => {
  it('loads each missing room once, then serves from memory; unknown rooms are cached as null', async () => {
    const s = setup();
    expect((await s.cache.rooms(['a', 'b', 'a'])).get('b')).toBeNull();
    expect((await s.cache.rooms(['a', 'b'])).get('a')?.memberIds).toEqual(['u1']);
    expect(s.loads).toEqual([['a', 'b']]);
  });

  it('an invalidation (membership event) makes the next read go to the store', async () => {
    const s = setup();
    await s.cache.rooms(['a']);
    s.db.set('a', { roomId: 'a', postId: null, memberIds: ['u1', 'u2'] });
    s.cache.invalidate('a');
    expect((await s.cache.rooms(['a'])).get('a')?.memberIds).toEqual(['u1', 'u2']);
  });

  it('entries expire after the TTL, bounding staleness when an event was missed', async () => {
    const s = setup({ ttlMs: 1000 });
    await s.cache.rooms(['a']);
    s.advance(999);
    await s.cache.rooms(['a']);
    s.advance(2);
    await s.cache.rooms(['a']);
    expect(s.loads).toHaveLength(2);
  });

  it('does not keep a load that raced an invalidation', async () => {
    const s = setup();
    let open!: () => void;
    s.setGate(new Promise<void>((r) => (open = r)));
    const pending = s.cache.rooms(['a']);
    await new Promise((r) => setImmediate(r));
    s.cache.invalidate('a');
    open();
    await pending;
    s.setGate(undefined);
    await s.cache.rooms(['a']);
    expect(s.loads).toHaveLength(2);
  });

  it('is bounded: the oldest entry goes first', async () => {
    const s = setup({ maxEntries: 2 });
    await s.cache.rooms(['x']);
    await s.cache.rooms(['y']);
    await s.cache.rooms(['z']);
    expect(s.cache.size).toBe(2);
    await s.cache.rooms(['x']);
    expect(s.loads.at(-1)).toEqual(['x']);
  });
});
