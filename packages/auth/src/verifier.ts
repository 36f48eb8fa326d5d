/**
 * JWT verification for every service (SPEC §3): HS256 with a shared secret or RS256/ES256 from a
 * JWKS URL, algorithms pinned (no `none`, no HS/RS confusion), `exp` required, `sub` a valid user id,
 * a bounded lifetime and a clock tolerance (`TokenPolicy`). Which settings are acceptable at all is
 * decided once, at start-up, by `resolveAuthSettings`.
 */
import { UserId, validator } from '@coffeechat/contracts';
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { DEFAULT_TOKEN_POLICY, type TokenPolicy } from './token-policy.js';

export interface Identity {
  userId: string;
  admin: boolean;
  /** the token's `exp` (seconds since the epoch): a WebSocket lives no longer than this plus its grace (SPEC §3) */
  exp: number;
}

interface ClaimRules {
  issuer?: string;
  audience?: string;
  /** defaults to `DEFAULT_TOKEN_POLICY` */
  policy?: TokenPolicy;
}

export type AuthSettings =
  | ({ kind: 'secret'; secret: string } & ClaimRules)
  | ({ kind: 'jwks'; jwksUrl: string } & ClaimRules);

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

export type Verifier = (token: string) => Promise<Identity>;

const userId = validator(UserId);

export function createVerifier(settings: AuthSettings, clock: () => number = Date.now): Verifier {
  const { issuer, audience } = settings;
  const { maxAgeSec, clockToleranceSec } = settings.policy ?? DEFAULT_TOKEN_POLICY;
  const key: Uint8Array | JWTVerifyGetKey =
    settings.kind === 'secret'
      ? new TextEncoder().encode(settings.secret)
      : createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  const algorithms = settings.kind === 'secret' ? ['HS256'] : ['RS256', 'ES256'];
  return async (token) => {
    const nowMs = clock();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: clockToleranceSec,
        currentDate: new Date(nowMs),
        ...(issuer ? { issuer } : {}),
        ...(audience ? { audience } : {}),
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AuthError('token expired');
      if (err instanceof errors.JWTClaimValidationFailed)
        throw new AuthError(`invalid token (${err.claim}: ${err.reason})`);
      if (err instanceof errors.JOSEError) throw new AuthError(`invalid token (${err.code})`);
      throw err;
    }
    const now = nowMs / 1000;
    const { iat, exp } = payload as { iat?: number; exp: number };
    if (iat !== undefined && iat > now + clockToleranceSec) throw new AuthError('invalid token (iat: in the future)');
    // a token minted to live for a year would outlive any revocation: its whole lifetime is bounded
    if (exp - (iat ?? now) > maxAgeSec + clockToleranceSec) {
      throw new AuthError(`invalid token (exp: lives longer than ${maxAgeSec} s)`);
    }
    // `sub` names the user everywhere (routing keys, presence, membership): the contracts' UserId only
    if (!userId.check(payload.sub)) throw new AuthError('invalid token (sub: not a user id)');
    const roles = (payload as { roles?: unknown }).roles;
    return { userId: payload.sub, admin: Array.isArray(roles) && roles.includes('admin'), exp };
  };
}

/** Takes the token from `Authorization: Bearer …`; undefined when absent or of another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
