import { describe, expect, it } from 'vitest';
import { SendHold } from './send-hold.js';

describe('SendHold', () => {
  it('expires what reached its deadline, oldest first, and nothing earlier', () => {
    const hold = new SendHold<string>(1000);
    expect(hold.nextDeadline()).toBeUndefined();
    hold.hold('a', 0);
    hold.hold('b', 300);
    hold.hold('c', 600);
    expect(hold.size).toBe(3);
    expect(hold.nextDeadline()).toBe(1000);
    expect(hold.expire(999)).toEqual([]);
    expect(hold.expire(1300)).toEqual(['a', 'b']);
    expect(hold.has('a')).toBe(false);
    expect(hold.nextDeadline()).toBe(1600);
    expect(hold.expire(5000)).toEqual(['c']);
    expect(hold.size).toBe(0);
    expect(hold.nextDeadline()).toBeUndefined();
  });

  it('forgets a deleted item; holding an item again restarts its deadline behind the others', () => {
    const hold = new SendHold<string>(100);
    hold.hold('a', 0);
    hold.hold('b', 10);
    expect(hold.delete('a')).toBe(true);
    expect(hold.delete('a')).toBe(false);
    expect(hold.nextDeadline()).toBe(110);
    hold.hold('c', 20);
    hold.hold('b', 50);
    expect(hold.expire(120)).toEqual(['c']);
    expect(hold.expire(150)).toEqual(['b']);
  });
});
