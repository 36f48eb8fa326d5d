/**
 * JWT verification for every service (SPEC §3): HS256 with a shared secret or RS256/ES256 from a
 * JWKS URL, algorithms pinned (no `none`, no HS/RS confusion), `exp` required.
 */
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';

export interface Identity {
  userId: string;
  admin: boolean;
}

export type AuthSettings =
  | { kind: 'secret'; secret: string; issuer?: string; audience?: string }
  | { kind: 'jwks'; jwksUrl: string; issuer?: string; audience?: string };

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

export type Verifier = (token: string) => Promise<Identity>;

export function createVerifier(settings: AuthSettings): Verifier {
  const issuer = settings.issuer;
  const audience = settings.audience;
  const key: Uint8Array | JWTVerifyGetKey =
    settings.kind === 'secret'
      ? new TextEncoder().encode(settings.secret)
      : createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  const algorithms = settings.kind === 'secret' ? ['HS256'] : ['RS256', 'ES256'];
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        requiredClaims: ['exp', 'sub'],
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
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128) throw new AuthError('invalid token (sub)');
    const roles = (payload as { roles?: unknown }).roles;
    return { userId: sub, admin: Array.isArray(roles) && roles.includes('admin') };
  };
}

/** Takes the token from `Authorization: Bearer …`; undefined when absent or of another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
