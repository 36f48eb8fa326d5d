/**
 * JWT verification for every service (SPEC §3): HS256 with a shared secret or RS256/ES256 from a
 * JWKS URL, algorithms pinned (no `none`, no HS/RS confusion), `exp` required, `sub` a valid user id,
 * a bounded lifetime and a clock tolerance (`TokenPolicy`). Which settings are acceptable at all is
 * decided once, at start-up, by `resolveAuthSettings`.
 *
 * The token is taken apart and its signature, `exp`, `nbf`, `iss` and `aud` are checked by
 * `jsonwebtoken`'s `verify`, which is synchronous: a token is decided at once whenever its key is at
 * hand, always with a secret and with a key set once it was fetched (`jwks-keys.ts`). The gateway
 * decides every upgrade inside uWS's own upgrade handler that way (docs/reliability.md, D7). The
 * library's refusals are reported with the JOSE codes and claim reasons the services have always
 * answered (`invalid token (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)`, `token expired`, …).
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AuthError, claimRefused, refused } from './auth-error.js';
import { JwksKeys } from './jwks-keys.js';
import { type Identity, identityOf } from './jwt-claims.js';
import { DEFAULT_TOKEN_POLICY, type TokenPolicy } from './token-policy.js';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

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
  algorithms: JwtAlgorithm[];
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
  const policy = settings.policy ?? DEFAULT_TOKEN_POLICY;
  const keyring =
    settings.kind === 'secret' ? secretKeyring(settings.secret) : jwksKeyring(new JwksKeys(settings.jwksUrl, clock));
  const options = {
    algorithms: keyring.algorithms,
    clockTolerance: policy.clockToleranceSec,
    ...(settings.issuer ? { issuer: settings.issuer } : {}),
    ...(settings.audience ? { audience: settings.audience } : {}),
  };

  const verifyNow = (token: string): Identity | undefined => {
    // the header names the key (and must not ask for an extension nobody here understands)
    const header = headerOf(token);
    if (header.crit !== undefined) throw criticalRefused(header.crit);
    const alg = header.alg;
    if (typeof alg !== 'string' || alg === '') throw refused('ERR_JWS_INVALID');
    if (!keyring.algorithms.includes(alg as JwtAlgorithm)) throw refused('ERR_JOSE_ALG_NOT_ALLOWED');
    const key = keyring.keyFor(alg as JwtAlgorithm, header.kid);
    if (!key) return undefined;
    let claims: unknown;
    try {
      claims = jwt.verify(token, key, { ...options, clockTimestamp: Math.floor(clock() / 1000) });
    } catch (err) {
      throw refusalOf(err, token);
    }
    // a payload that is not a JSON object comes back as the string it is
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw refused('ERR_JWT_INVALID');
    return identityOf(claims as Record<string, unknown>, policy, clock());
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

/** The header as the library reads it (a `typ: "JWT"` token's payload must be JSON to get this far). */
function headerOf(token: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = jwt.decode(token, { complete: true })?.header;
  } catch {
    throw refused('ERR_JWS_INVALID');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw refused('ERR_JWS_INVALID');
  return header as Record<string, unknown>;
}

/** No extension is understood here, so none may be critical (RFC 7515 §4.1.11). */
function criticalRefused(crit: unknown) {
  const wellFormed = Array.isArray(crit) && crit.length > 0 && crit.every((p) => typeof p === 'string' && p !== '');
  return refused(wellFormed ? 'ERR_JOSE_NOT_SUPPORTED' : 'ERR_JWS_INVALID');
}

/** `jsonwebtoken`'s refusal as the message the services answer (jose's codes and claim reasons). */
function refusalOf(err: unknown, token: string): AuthError {
  if (err instanceof jwt.TokenExpiredError) return new AuthError('token expired');
  if (err instanceof jwt.NotBeforeError) return claimRefused('nbf', 'check_failed');
  if (!(err instanceof jwt.JsonWebTokenError)) {
    // a payload that is not JSON, or a signature of the wrong size for its algorithm
    return refused(err instanceof SyntaxError ? 'ERR_JWS_INVALID' : 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  }
  const { message } = err;
  if (message === 'invalid signature' || message === 'jwt signature is required') {
    return refused('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  }
  if (message === 'invalid algorithm') return refused('ERR_JOSE_ALG_NOT_ALLOWED');
  if (message === 'invalid exp value') return claimRefused('exp', 'invalid');
  if (message === 'invalid nbf value') return claimRefused('nbf', 'invalid');
  const claim = message.startsWith('jwt audience invalid')
    ? 'aud'
    : message.startsWith('jwt issuer invalid')
      ? 'iss'
      : '';
  if (claim) {
    // checked after the signature: the claims read here are the signed ones (a payload that is not a JSON
    // object has no `aud` or `iss` to match)
    let claims: unknown;
    try {
      claims = jwt.decode(token, { json: true });
    } catch {
      return refused('ERR_JWT_INVALID');
    }
    if (typeof claims !== 'object' || claims === null) return refused('ERR_JWT_INVALID');
    return claimRefused(claim, Object.hasOwn(claims, claim) ? 'check_failed' : 'missing');
  }
  return refused('ERR_JWS_INVALID');
}

export function createVerifier(settings: AuthSettings, clock: () => number = Date.now): Verifier {
  return createTokenVerifier(settings, clock).verify;
}

/** Takes the token from `Authorization: Bearer …`; undefined when absent or of another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
