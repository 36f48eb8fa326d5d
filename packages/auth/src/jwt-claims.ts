/**
 * What a token's claims must say (SPEC §3) beyond what `jsonwebtoken` checked (signature, `exp` and `nbf`
 * within the clock tolerance, `iss`, `aud`): `exp` and `sub` present, an `iat` not in the future, a whole
 * lifetime within the policy's maximum age, and `sub` a user id of the contracts. The library has no
 * required claims and bounds the age since `iat`, not the lifetime a token was minted with.
 */
import { UserId, validator } from '@coffeechat/contracts';
import { AuthError, claimRefused } from './auth-error.js';
import type { TokenPolicy } from './token-policy.js';

export interface Identity {
  userId: string;
  admin: boolean;
  /** the token's `exp` (seconds since the epoch): a WebSocket lives no longer than this plus its grace (SPEC §3) */
  exp: number;
}

const userId = validator(UserId);

function numericDate(claims: Record<string, unknown>, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw claimRefused(claim, 'invalid');
  return value;
}

/** The identity of a token whose signature and registered claims `jsonwebtoken` accepted. */
export function identityOf(claims: Record<string, unknown>, policy: TokenPolicy, nowMs: number): Identity {
  const tolerance = policy.clockToleranceSec;
  for (const claim of ['sub', 'exp']) if (!Object.hasOwn(claims, claim)) throw claimRefused(claim, 'missing');
  const iat = numericDate(claims, 'iat');
  const exp = claims.exp as number;
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
