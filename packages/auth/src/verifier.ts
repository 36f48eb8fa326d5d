/**
 * JWT verification for every service (SPEC §3): HS256 with a shared secret or RS256/ES256 from a
 * JWKS URL, algorithms pinned (no `none`, no HS/RS confusion), `exp` required, `sub` a valid user id,
 * a bounded lifetime and a clock tolerance (`TokenPolicy`). Which settings are acceptable at all is
 * decided once, at start-up, by `resolveAuthSettings`.
 *
 * A token is checked synchronously with node:crypto whenever its key is at hand: always with a secret,
 * and with a key set once it was fetched. The gateway decides every upgrade inside uWS's own upgrade
 * handler that way (docs/reliability.md, D7), and a check costs microseconds instead of a WebCrypto job.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { refused } from './auth-error.js';
import { claimsOf, parseCompactJwt } from './compact-jwt.js';
import { JwksKeys } from './jwks-keys.js';
import { type ClaimRules, type Identity, identityOf } from './jwt-claims.js';
import { type JwtAlgorithm, signatureValid } from './jwt-signature.js';
import { DEFAULT_TOKEN_POLICY, type TokenPolicy } from './token-policy.js';

interface ClaimSettings {
  issuer?: string;
  audience?: string;
  /** defaults to `DEFAULT_TOKEN_POLICY` */
  policy?: TokenPolicy;
}

export type AuthSettings =
  | ({ kind: 'secret'; secret: string } & ClaimSettings)
  | ({ kind: 'jwks'; jwksUrl: string } & ClaimSettings);

export type Verifier = (token: string) => Promise<Identity>;

export interface TokenVerifier {
  /**
   * The token's identity at once when its key is at hand; `undefined` when the key set must be fetched
   * first (the fetch is then under way: ask again shortly, or wait with `verify`). Throws `AuthError`
   * for a token that is refused.
   */
  verifyNow(token: string): Identity | undefined;
  verify: Verifier;
}

/** Where the keys come from: which algorithms they allow, a token's key (undefined: fetch first), a fetch. */
interface Keyring {
  algorithms: readonly JwtAlgorithm[];
  keyFor(alg: JwtAlgorithm, kid: unknown): KeyObject | undefined;
  refresh(): Promise<void>;
}

function secretKeyring(secret: string): Keyring {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return { algorithms: ['HS256'], keyFor: () => key, refresh: async () => undefined };
}

function jwksKeyring(keys: JwksKeys): Keyring {
  return {
    algorithms: ['RS256', 'ES256'],
    keyFor: (alg, kid) => {
      // a kid that is not a string names no key of the set
      if (kid !== undefined && typeof kid !== 'string') throw refused('ERR_JWKS_NO_MATCHING_KEY');
      return keys.keyFor(alg, kid);
    },
    refresh: () => keys.refresh(),
  };
}

export function createTokenVerifier(settings: AuthSettings, clock: () => number = Date.now): TokenVerifier {
  const rules: ClaimRules = {
    ...(settings.issuer ? { issuer: settings.issuer } : {}),
    ...(settings.audience ? { audience: settings.audience } : {}),
    policy: settings.policy ?? DEFAULT_TOKEN_POLICY,
  };
  const keyring =
    settings.kind === 'secret' ? secretKeyring(settings.secret) : jwksKeyring(new JwksKeys(settings.jwksUrl, clock));

  const verifyNow = (token: string): Identity | undefined => {
    const jwt = parseCompactJwt(token);
    const { header, signingInput, signature } = jwt;
    if (header.crit !== undefined) throw criticalRefused(header.crit);
    const alg = header.alg;
    if (typeof alg !== 'string' || alg === '') throw refused('ERR_JWS_INVALID');
    if (!keyring.algorithms.includes(alg as JwtAlgorithm)) throw refused('ERR_JOSE_ALG_NOT_ALLOWED');
    const key = keyring.keyFor(alg as JwtAlgorithm, header.kid);
    if (!key) return undefined;
    if (!signatureValid(alg as JwtAlgorithm, key, signingInput, signature)) {
      throw refused('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    }
    return identityOf(claimsOf(jwt), rules, clock());
  };

  return {
    verifyNow,
    verify: async (token) => {
      const now = verifyNow(token);
      if (now) return now;
      await keyring.refresh();
      const fetched = verifyNow(token);
      if (!fetched) throw refused('ERR_JWKS_NO_MATCHING_KEY');
      return fetched;
    },
  };
}

/** No extension is understood here, so none may be critical (RFC 7515 §4.1.11). */
function criticalRefused(crit: unknown) {
  const wellFormed = Array.isArray(crit) && crit.length > 0 && crit.every((p) => typeof p === 'string' && p !== '');
  return refused(wellFormed ? 'ERR_JOSE_NOT_SUPPORTED' : 'ERR_JWS_INVALID');
}

export function createVerifier(settings: AuthSettings, clock: () => number = Date.now): Verifier {
  return createTokenVerifier(settings, clock).verify;
}

/** Takes the token from `Authorization: Bearer …`; undefined when absent or of another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
