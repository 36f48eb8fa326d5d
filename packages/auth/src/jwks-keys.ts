/**
 * The issuer's public keys (`JWT_JWKS_URL`, RFC 7517), so that a token is checked without waiting
 * whenever its key is at hand: fetched when first needed, fetched again in the background once half of
 * its 10 minutes are over (the set in hand still answers meanwhile), and sooner (at most every 30 s)
 * when a token names a key the set lacks, as after a key rotation. Each key is imported once.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { refused } from './auth-error.js';

const CACHE_MAX_AGE_MS = 600_000;
const COOLDOWN_MS = 30_000;
const FETCH_TIMEOUT_MS = 5_000;
/** RFC 7518 §3.3: RSA keys of at least 2048 bits */
const MIN_RSA_BITS = 2048;

interface SetKey {
  /** the imported key, or why it cannot verify anything (private, weak, not a key) */
  key: KeyObject | { unusable: string };
  kid?: string;
  alg?: string;
  /** the algorithm the key's type and curve allow */
  algorithm: 'RS256' | 'ES256';
}

export class JwksKeys {
  private keys: SetKey[] = [];
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private pending?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The key of the set that signed a token with this header (`kid` absent: the only key of the
   * algorithm); `undefined` when the set must be fetched first (never fetched, older than its maximum
   * age, or lacking the key and not fetched lately): the fetch is then under way. Throws `AuthError`
   * when no key or several match, or when the one that does cannot be used.
   */
  keyFor(alg: string, kid: string | undefined): KeyObject | undefined {
    const age = this.clock() - this.fetchedAt;
    if (age >= CACHE_MAX_AGE_MS) return this.fetchFirst();
    if (age >= CACHE_MAX_AGE_MS / 2) this.refreshInBackground();
    const found = this.keys.filter(
      (k) => k.algorithm === alg && (k.alg === undefined || k.alg === alg) && (kid === undefined || k.kid === kid),
    );
    if (found.length === 0) {
      if (age < COOLDOWN_MS) throw refused('ERR_JWKS_NO_MATCHING_KEY');
      return this.fetchFirst();
    }
    if (found.length > 1) throw refused('ERR_JWKS_MULTIPLE_MATCHING_KEYS');
    const { key } = found[0] as SetKey;
    if ('unusable' in key) throw refused(key.unusable);
    return key;
  }

  private fetchFirst(): undefined {
    this.refreshInBackground();
    return undefined;
  }

  /** A failed fetch is tried again by the next token that needs it. */
  private refreshInBackground(): void {
    this.refresh().catch(() => undefined);
  }

  /** Fetches the set (one fetch at a time); rejects when the issuer cannot be reached or answers nonsense. */
  refresh(): Promise<void> {
    this.pending ??= this.fetchSet().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchSet(): Promise<void> {
    const res = await fetch(this.url, {
      redirect: 'manual',
      headers: { accept: 'application/json, application/jwk-set+json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (res.status !== 200) throw new Error(`the key set answered ${res.status}`);
    const body = (await res.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error('the key set has no "keys"');
    this.keys = body.keys.flatMap((jwk: unknown) => setKey(jwk) ?? []);
    this.fetchedAt = this.clock();
  }
}

/** A signing key of the set; none for a key of another use, type or curve. */
function setKey(value: unknown): SetKey | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const jwk = value as Record<string, unknown>;
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  const ops = jwk.key_ops;
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return undefined;
  const algorithm = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;
  if (!algorithm) return undefined;
  return {
    key: importKey(jwk, algorithm),
    algorithm,
    ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}),
    ...(typeof jwk.alg === 'string' ? { alg: jwk.alg } : {}),
  };
}

function importKey(jwk: Record<string, unknown>, algorithm: 'RS256' | 'ES256'): KeyObject | { unusable: string } {
  // a private key has no place in a published set
  if ('d' in jwk) return { unusable: 'ERR_JWKS_INVALID' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return { unusable: 'ERR_JWKS_INVALID' };
  }
  const weak = algorithm === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS;
  return weak ? { unusable: 'ERR_JOSE_NOT_SUPPORTED' } : key;
}
