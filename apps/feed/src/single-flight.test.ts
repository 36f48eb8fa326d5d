import { describe, expect, it } from 'vitest';
import { BatchFlight, SingleFlight } from './single-flight.js';

const tick = () => new Promise((r) => setTimeout(r, 5));
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('single-flight', () => {
  it('shares one load among concurrent callers of a key, then loads afresh', async () => {
    const flight = new SingleFlight<number>();
    let loads = 0;
    const load = async () => {
      loads += 1;
      await tick();
      return loads;
    };
    const results = await Promise.all(Array.from({ length: 100 }, () => flight.run('k', load)));
    expect(new Set(results)).toEqual(new Set([1]));
    await nextTurn();
    expect(await flight.run('k', load)).toBe(2);
  });

  it('a caller that asks in the turn the load settled in joins it (its cache miss may predate the load’s write)', async () => {
    const single = new SingleFlight<number>();
    const batch = new BatchFlight<number>();
    let loads = 0;
    const load = async () => ++loads;
    await single.run('k', load);
    expect(await single.run('k', load)).toBe(1);
    await batch.run(['k'], async (keys) => new Map(keys.map((k) => [k, ++loads])));
    expect((await batch.run(['k'], async () => new Map([['k', ++loads]]))).get('k')).toBe(2);
    expect(loads).toBe(2);
    await nextTurn();
    expect(await single.run('k', load)).toBe(3);
  });

  it('a failed load reaches every waiter and is not remembered', async () => {
    const flight = new SingleFlight<number>();
    const failing = async () => {
      await tick();
      throw new Error('down');
    };
    const all = await Promise.allSettled([flight.run('k', failing), flight.run('k', failing)]);
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await flight.run('k', async () => 7)).toBe(7);
  });

  it('batches: keys in flight are joined, only the rest are loaded, in one call', async () => {
    const flight = new BatchFlight<string | null>();
    const calls: string[][] = [];
    const load = async (keys: string[]) => {
      calls.push(keys);
      await tick();
      return new Map(keys.map((k) => [k, k === 'gone' ? null : k.toUpperCase()]));
    };
    const [a, b] = await Promise.all([flight.run(['x', 'y'], load), flight.run(['y', 'z', 'gone', 'z'], load)]);
    expect(calls).toEqual([
      ['x', 'y'],
      ['z', 'gone'],
    ]);
    expect([...a]).toEqual([
      ['x', 'X'],
      ['y', 'Y'],
    ]);
    expect(b.get('y')).toBe('Y');
    expect(b.get('z')).toBe('Z');
    expect(b.get('gone')).toBeNull();
  });
});
