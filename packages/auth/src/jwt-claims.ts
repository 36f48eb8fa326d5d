/**
 * What a token's claims must say (SPEC §3), once its signature is good: `exp` and `sub` present, not
 * expired and not before `nbf` (within the clock tolerance), `iss` and `aud` as configured, an `iat` not
 * in the future, a whole lifetime within the policy's maximum age, and `sub` a user id of the contracts.
 * The checks and their messages are those of jose's `jwtVerify` (RFC 7519 §4.1), which this replaced.
 */
import { UserId, validator } from '@coffeechat/contracts';
import { AuthError } from './auth-error.js';
import type { TokenPolicy } from './token-policy.js';

export interface ClaimRules {
  issuer?: string;
  audience?: string;
  policy: TokenPolicy;
}

export interface Identity {
  userId: string;
  admin: boolean;
  /** the token's `exp` (seconds since the epoch): a WebSocket lives no longer than this plus its grace (SPEC §3) */
  exp: number;
}

const userId = validator(UserId);
const claimFailed = (claim: string, reason: 'missing' | 'invalid' | 'check_failed') =>
  new AuthError(`invalid token (${claim}: ${reason})`);

function numericDate(claims: Record<string, unknown>, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw claimFailed(claim, 'invalid');
  return value;
}

export function identityOf(claims: Record<string, unknown>, rules: ClaimRules, nowMs: number): Identity {
  const { issuer, audience, policy } = rules;
  const tolerance = policy.clockToleranceSec;
  const required = [...(issuer !== undefined ? ['iss'] : []), ...(audience !== undefined ? ['aud'] : []), 'sub', 'exp'];
  for (const claim of required) if (!Object.hasOwn(claims, claim)) throw claimFailed(claim, 'missing');
  if (issuer !== undefined && claims.iss !== issuer) throw claimFailed('iss', 'check_failed');
  if (audience !== undefined && !audienceHas(claims.aud, audience)) throw claimFailed('aud', 'check_failed');
  const epoch = Math.floor(nowMs / 1000);
  const iat = numericDate(claims, 'iat');
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > epoch + tolerance) throw claimFailed('nbf', 'check_failed');
  const exp = numericDate(claims, 'exp') as number;
  if (exp <= epoch - tolerance) throw new AuthError('token expired');
  const now = nowMs / 1000;
  if (iat !== undefined && iat > now + tolerance) throw new AuthError('invalid token (iat: in the future)');
  // a token minted to live for a year would outlive any revocation: its whole lifetime is bounded
  if (exp - (iat ?? now) > policy.maxAgeSec + tolerance) {
    throw new AuthError(`invalid token (exp: lives longer than ${policy.maxAgeSec} s)`);
  }
  // `sub` names the user everywhere (routing keys, presence, membership): the contracts' UserId only
  if (!userId.check(claims.sub)) throw new AuthError('invalid token (sub: not a user id)');
  const roles = claims.roles;
  return { userId: claims.sub, admin: Array.isArray(roles) && roles.includes('admin'), exp };
}

function audienceHas(aud: unknown, audience: string): boolean {
  return typeof aud === 'string' ? aud === audience : Array.isArray(aud) && aud.includes(audience);
}
