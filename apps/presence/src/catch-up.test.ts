import { describe, expect, it } from 'vitest';
import { CatchUp } from './catch-up.js';

describe('CatchUp', () => {
  it('holds expiry for a heartbeat interval after the start', () => {
    const c = new CatchUp(0, 1000);
    expect(c.caughtUp(1500)).toBe(false);
    expect(c.caughtUp(2000)).toBe(true);
  });

  it('holds expiry while the messages consumed are an old backlog', () => {
    const c = new CatchUp(0, 1000);
    c.consumed(100, 2500);
    expect(c.caughtUp(2600)).toBe(false);
    c.consumed(2400, 2700);
    expect(c.caughtUp(2700)).toBe(true);
  });

  it('expires once the queue has been idle for an interval', () => {
    const c = new CatchUp(0, 1000);
    c.consumed(100, 2500);
    expect(c.caughtUp(3600)).toBe(true);
  });
});
