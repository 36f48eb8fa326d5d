import { describe, expect, it } from 'vitest';
import { cachedToken, tokenClaims, tokenExpiry } from './token.js';

const jwt = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

describe('tokens', () => {
  it('reads exp from a JWT and nothing from other strings', () => {
    expect(tokenExpiry(jwt({ sub: 'a', exp: 1234 }))).toBe(1234);
    expect(tokenExpiry(jwt({ sub: 'a' }))).toBeUndefined();
    expect(tokenExpiry('not a token')).toBeUndefined();
    expect(tokenExpiry('a.%%%.b')).toBeUndefined();
    expect(tokenClaims(jwt({ sub: 'ann' }))).toEqual({ sub: 'ann' });
    expect(tokenClaims(`h.${btoa('42')}.s`)).toBeUndefined();
  });

  it('cachedToken fetches once per lifetime and again shortly before exp', async () => {
    let now = 1_000_000_000;
    let fetches = 0;
    const provider = cachedToken(
      async () => {
        fetches += 1;
        return jwt({ exp: now / 1000 + 600, n: fetches });
      },
      { refreshBeforeSec: 60, now: () => now },
    );
    const [a, b] = await Promise.all([provider(), provider()]);
    expect(a).toBe(b);
    expect(fetches).toBe(1);
    now += 500_000; // 100 s before exp: still good
    expect(await provider()).toBe(a);
    now += 60_000; // 40 s before exp: inside the refresh margin
    expect(await provider()).not.toBe(a);
    expect(fetches).toBe(2);
  });

  it('a failed fetch is not cached', async () => {
    let fail = true;
    const provider = cachedToken(async () => {
      if (fail) throw new Error('down');
      return jwt({ exp: Date.now() / 1000 + 600 });
    });
    await expect(provider()).rejects.toThrow('down');
    fail = false;
    await expect(provider()).resolves.toContain('.');
  });
});
