/** Reconnect and retry delays: doubling with full jitter, each kind up to its own ceiling. */
import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultBackoff, defaultRetryBackoff } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the first ceiling, and draws between half the ceiling and the ceiling', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, defaultBackoff, () => 0.999))).toEqual([249, 499, 999, 1999]);
    expect(backoffDelay(3, defaultBackoff, () => 0)).toBe(1000);
  });

  it('keeps retries of joins and sends within 2 s however long a backend was away, reconnects within 4 s', () => {
    expect(backoffDelay(50, defaultRetryBackoff, () => 0.999)).toBe(1999);
    expect(backoffDelay(50, defaultBackoff, () => 0.999)).toBe(3998);
    expect(backoffDelay(50, defaultBackoff, () => 0)).toBe(2000);
  });
});
