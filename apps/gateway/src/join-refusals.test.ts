import { describe, expect, it } from 'vitest';
import { JoinRefusals } from './join-refusals.js';

describe('JoinRefusals', () => {
  it('remembers a refusal until its ttl passes', () => {
    let now = 1000;
    const cache = new JoinRefusals(5000, () => now);
    expect(cache.refused('r', 'u')).toBe(false);
    cache.rememberRefusal('r', 'u');
    expect(cache.refused('r', 'u')).toBe(true);
    expect(cache.refused('r', 'v')).toBe(false);
    now += 5001;
    expect(cache.refused('r', 'u')).toBe(false);
  });

  it('drops a refusal when a membership event names the pair', () => {
    const cache = new JoinRefusals(5000);
    cache.rememberRefusal('r', 'u');
    cache.invalidate('r', 'u');
    expect(cache.refused('r', 'u')).toBe(false);
  });

  it('stays bounded, forgetting the oldest refusal first', () => {
    const cache = new JoinRefusals(5000, Date.now, 2);
    cache.rememberRefusal('r', 'a');
    cache.rememberRefusal('r', 'b');
    cache.rememberRefusal('r', 'c');
    expect(cache.refused('r', 'a')).toBe(false);
    expect(cache.refused('r', 'c')).toBe(true);
  });

  it('caches nothing with a zero ttl', () => {
    const cache = new JoinRefusals(0);
    cache.rememberRefusal('r', 'u');
    expect(cache.refused('r', 'u')).toBe(false);
  });
});
