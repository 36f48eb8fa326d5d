import { describe, expect, it } from 'vitest';
import { fnv1a32, partitionOf } from './partition.js';

describe('partitionOf', () => {
  it('is stable: the same room always lands on the same partition', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c); // published FNV-1a test vector
    expect(partitionOf('room-42', 16)).toBe(partitionOf('room-42', 16));
  });

  it('spreads 16,000 room ids evenly over 16 partitions (chi-square, p > 0.001)', () => {
    const partitions = 16;
    const counts = new Array<number>(partitions).fill(0);
    const n = 16_000;
    for (let i = 0; i < n; i++) counts[partitionOf(`room-${i}`, partitions)]! += 1;
    const expected = n / partitions;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(chi2).toBeLessThan(37.7); // chi-square critical value, 15 degrees of freedom, p = 0.001
  });

  it('spreads uuid-like ids too', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[partitionOf(crypto.randomUUID(), 8)]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });

  it('rejects a partition count below 1', () => {
    expect(() => partitionOf('r', 0)).toThrow(RangeError);
  });
});
