import { Limits } from '@coffeechat/contracts';
import { describe, expect, it } from 'vitest';
import { judgeFrame } from './frame-guard.js';
import { type Budget, ConnectionBudgets } from './rate-limits.js';

const budgets = () =>
  new ConnectionBudgets({
    sendsPerSecond: 20,
    typingPerSecond: 5,
    joinsPerSecond: 10,
    readsPerSecond: 20,
    badFramesPerMinute: Limits.badFramesPerMinute,
  });

const one = { sendsPerSecond: 1, typingPerSecond: 1, joinsPerSecond: 1, readsPerSecond: 1 };

async function takeMany(b: ConnectionBudgets, budget: Budget, connId: string, n: number) {
  const results: boolean[] = [];
  for (let i = 0; i < n; i++) results.push(await b.take(budget, connId));
  return results;
}

describe('ConnectionBudgets', () => {
  it('allows 20 sends in a second and refuses the 21st', async () => {
    const results = await takeMany(budgets(), 'send', 'c1', 21);
    expect(results.slice(0, 20).every(Boolean)).toBe(true);
    expect(results[20]).toBe(false);
  });

  it('allows 5 typing frames a second, separately from sends and per connection', async () => {
    const b = budgets();
    expect((await takeMany(b, 'typing', 'c1', 6)).filter(Boolean)).toHaveLength(5);
    expect(await b.take('send', 'c1')).toBe(true);
    expect(await b.take('typing', 'c2')).toBe(true);
  });

  it('refuses the 51st bad frame of a minute', async () => {
    const results = await takeMany(budgets(), 'badFrame', 'c1', 51);
    expect(results.filter(Boolean)).toHaveLength(50);
    expect(results[50]).toBe(false);
  });

  it('starts a new window after a second', async () => {
    const b = new ConnectionBudgets({ ...one, badFramesPerMinute: 1 });
    expect(await takeMany(b, 'send', 'c', 2)).toEqual([true, false]);
    await new Promise((r) => setTimeout(r, 1050));
    expect(await b.take('send', 'c')).toBe(true);
  });

  it('forgets a closed connection', async () => {
    const b = new ConnectionBudgets({ ...one, badFramesPerMinute: 1 });
    expect(await takeMany(b, 'send', 'c', 2)).toEqual([true, false]);
    b.forget('c');
    expect(await b.take('send', 'c')).toBe(true);
  });
});

describe('judgeFrame', () => {
  it('accepts text frames up to 64 KiB', () => {
    expect(judgeFrame(64 * 1024, false)).toEqual({ kind: 'text' });
  });
  it('closes with 1009 above 64 KiB, also for binary frames', () => {
    expect(judgeFrame(64 * 1024 + 1, false)).toMatchObject({ kind: 'close', code: 1009 });
    expect(judgeFrame(64 * 1024 + 1, true)).toMatchObject({ kind: 'close', code: 1009 });
  });
  it('closes with 1008 on a binary frame', () => {
    expect(judgeFrame(10, true)).toMatchObject({ kind: 'close', code: 1008 });
  });
});
