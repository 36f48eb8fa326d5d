/**
 * Remembers verified bearer tokens until they expire. A client sends the same token with every request,
 * and signature verification (WebCrypto HMAC) was the largest single cost of a cached feed read. Only the
 * exact token string that passed verification is remembered, for at most a minute and never past its
 * `exp`, so nothing is accepted that the verifier would refuse. (Revocation is not part of SPEC §3;
 * with it, `maxAgeMs` bounds how long a revoked token keeps working.)
 */
import type { Identity } from './jwt-claims.js';
import type { Verifier } from './verifier.js';

export function cachingVerifier(
  verify: Verifier,
  clock: () => number = Date.now,
  { maxEntries = 10_000, maxAgeMs = 60_000 } = {},
): Verifier {
  const verified = new Map<string, { identity: Identity; until: number }>();
  return async (token) => {
    const now = clock();
    const known = verified.get(token);
    if (known && known.until > now) return known.identity;
    if (known) verified.delete(token);
    const identity = await verify(token);
    const exp = expiryOf(token);
    if (exp !== null) {
      // a Map iterates in insertion order: dropping the first entry drops the oldest
      if (verified.size >= maxEntries) verified.delete(verified.keys().next().value as string);
      verified.set(token, { identity, until: Math.min(exp, now + maxAgeMs) });
    }
    return identity;
  };
}

/** The `exp` (epoch ms) of a token that already passed verification, or null when it has none. */
function expiryOf(token: string): number | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}
