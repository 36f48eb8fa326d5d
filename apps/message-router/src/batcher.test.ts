import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

/** A hand-driven "next tick" so the tests decide when the tick comes. */
function harness(max: number) {
  const ticks: Array<() => void> = [];
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const batcher = new Batcher<number>({
    max,
    defer: (fn) => ticks.push(fn),
    process: async (batch) => {
      batches.push(batch);
      if (hold) await new Promise<void>((r) => (release = r));
    },
  });
  return {
    batcher,
    batches,
    tick: async () => {
      for (const fn of ticks.splice(0)) fn();
      await new Promise((r) => setImmediate(r));
    },
    holdNext: () => {
      hold = true;
    },
    release: async () => {
      hold = false;
      release?.();
      await new Promise((r) => setImmediate(r));
    },
    pendingTicks: () => ticks.length,
  };
}

describe('Batcher', () => {
  it('a lone message waits only for the next tick', async () => {
    const h = harness(100);
    h.batcher.push(1);
    expect(h.batches).toEqual([]);
    expect(h.pendingTicks()).toBe(1);
    await h.tick();
    expect(h.batches).toEqual([[1]]);
  });

  it('what arrives before the tick is one batch, with a single scheduled flush', async () => {
    const h = harness(100);
    for (let i = 1; i <= 5; i++) h.batcher.push(i);
    expect(h.pendingTicks()).toBe(1);
    await h.tick();
    expect(h.batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('a full batch starts at once without waiting for the tick', async () => {
    const h = harness(3);
    h.batcher.push(1);
    h.batcher.push(2);
    h.batcher.push(3);
    await new Promise((r) => setImmediate(r));
    expect(h.batches).toEqual([[1, 2, 3]]);
  });

  it('arrivals during a running batch form the next one, taken as soon as it ends, at most max each', async () => {
    const h = harness(3);
    h.holdNext();
    h.batcher.push(1);
    await h.tick();
    expect(h.batches).toEqual([[1]]);
    for (let i = 2; i <= 6; i++) h.batcher.push(i);
    expect(h.batches).toHaveLength(1); // one batch at a time: order within the partition
    await h.release();
    expect(h.batches).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('pause lets the running batch finish, starts no other, and keeps the rest queued', async () => {
    const h = harness(2);
    h.holdNext();
    h.batcher.push(1);
    await h.tick();
    h.batcher.push(2);
    h.batcher.push(3);
    let paused = false;
    const pausing = h.batcher.pause().then(() => {
      paused = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(paused).toBe(false);
    await h.release();
    await pausing;
    expect(h.batches).toEqual([[1]]);
    expect(h.batcher.pending).toBe(2);
    h.batcher.push(4);
    await h.tick();
    expect(h.batches).toEqual([[1]]);
  });

  it('pause with nothing running resolves at once', async () => {
    const h = harness(2);
    await h.batcher.pause();
    h.batcher.push(1);
    await h.tick();
    expect(h.batches).toEqual([]);
  });

  it('discard drops what has not started', async () => {
    const h = harness(10);
    h.batcher.push(1);
    h.batcher.push(2);
    h.batcher.discard();
    await h.tick();
    expect(h.batches).toEqual([]);
    expect(h.batcher.pending).toBe(0);
  });
});
