import { describe, expect, it } from 'vitest';
import { AuthError } from './auth-error.js';
import { cachingVerifier } from './caching-verifier.js';
import { mintToken } from './mint.js';
import { createVerifier } from './verifier.js';

const secret = 'a-test-secret-of-some-length';

describe('cachingVerifier', () => {
  it('verifies a token once, then answers from memory until its exp', async () => {
    let calls = 0;
    const real = createVerifier({ kind: 'secret', secret });
    let now = Date.now();
    const verify = cachingVerifier(
      async (t) => {
        calls += 1;
        return real(t);
      },
      () => now,
    );
    const token = await mintToken('ann', { secret, ttl: '30s' });
    expect(await verify(token)).toMatchObject({ userId: 'ann', admin: false });
    expect(await verify(token)).toMatchObject({ userId: 'ann', admin: false });
    expect(calls).toBe(1);
    now += 31_000; // past exp: asks the real verifier again (which refuses it once it is really expired)
    await verify(token).catch(() => undefined);
    expect(calls).toBe(2);
  });

  it('remembers nothing that failed, and stays bounded', async () => {
    let calls = 0;
    const verify = cachingVerifier(
      async (t) => {
        calls += 1;
        if (t === 'bad') throw new AuthError('invalid token');
        return { userId: t, admin: false, exp: 1e9 };
      },
      () => 0,
      { maxEntries: 2 },
    );
    await expect(verify('bad')).rejects.toThrow(AuthError);
    await expect(verify('bad')).rejects.toThrow(AuthError);
    expect(calls).toBe(2);
    const jwt = (n: number) => `h.${Buffer.from(JSON.stringify({ exp: 1e9 + n })).toString('base64url')}.s${n}`;
    for (const n of [1, 2, 3]) await verify(jwt(n));
    await verify(jwt(3));
    await verify(jwt(2));
    expect(calls).toBe(5);
    await verify(jwt(1)); // the oldest was dropped
    expect(calls).toBe(6);
  });
});
