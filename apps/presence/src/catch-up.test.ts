import { describe, expect, it } from 'vitest';
import { CatchUp } from './catch-up.js';

describe('CatchUp', () => {
  it('holds expiry for a heartbeat interval after the start', () => {
    const c = new CatchUp(0, 1000);
    expect(c.caughtUp(900)).toBe(false);
    expect(c.caughtUp(1000)).toBe(true);
  });

  it('holds expiry while the messages consumed are an old backlog', () => {
    const c = new CatchUp(0, 1000);
    c.consumed(100, 1500);
    expect(c.caughtUp(1600)).toBe(false);
    c.consumed(1400, 1700);
    expect(c.caughtUp(1700)).toBe(true);
  });

  it('expires once the queue has been idle for an interval', () => {
    const c = new CatchUp(0, 1000);
    c.consumed(100, 1500);
    expect(c.caughtUp(2400)).toBe(false);
    expect(c.caughtUp(2500)).toBe(true);
  });
});
