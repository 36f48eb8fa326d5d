/**
 * Which token settings a service may start with (SPEC §2–§3), decided once at start-up from what the
 * operator set. Each refusal names the variable at fault, so the service can stop with one line.
 */
import { DEV_JWT_SECRET } from './dev-secret.js';
import type { TokenPolicy } from './token-policy.js';
import type { AuthSettings } from './verifier.js';

export interface AuthChoice {
  /** `JWT_SECRET` */
  secret?: string;
  /** `JWT_JWKS_URL` */
  jwksUrl?: string;
  /** `JWT_DEV_SECRET=1`: the built-in development secret, chosen on purpose */
  devSecret: boolean;
  issuer?: string;
  audience?: string;
  policy: TokenPolicy;
}

export class AuthSettingsError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthSettingsError';
  }
}

/** RFC 7518 §3.2: an HS256 key of at least the hash's size, 256 bits. */
export const MIN_SECRET_BYTES = 32;

export function resolveAuthSettings(choice: AuthChoice, { production }: { production: boolean }): AuthSettings {
  // JWT_SECRET set to the development secret is the same choice as JWT_DEV_SECRET=1, not a second one
  const devSecret = choice.devSecret || choice.secret === DEV_JWT_SECRET;
  const ownSecret = choice.secret === DEV_JWT_SECRET ? undefined : choice.secret;
  const chosen = [ownSecret && 'JWT_SECRET', choice.jwksUrl && 'JWT_JWKS_URL', devSecret && 'JWT_DEV_SECRET'];
  const named = chosen.filter((v): v is string => typeof v === 'string');
  if (named.length > 1) throw new AuthSettingsError(named[1] as string, `set only one of ${named.join(', ')}`);
  if (named.length === 0) {
    throw new AuthSettingsError(
      'JWT_SECRET',
      'no token verification configured: set JWT_SECRET (HS256) or JWT_JWKS_URL, or JWT_DEV_SECRET=1 for the built-in development secret',
    );
  }
  if (production && devSecret) {
    const variable = choice.devSecret ? 'JWT_DEV_SECRET' : 'JWT_SECRET';
    throw new AuthSettingsError(variable, 'NODE_ENV=production refuses the built-in development secret');
  }
  if (production) {
    if (!choice.issuer) throw new AuthSettingsError('JWT_ISSUER', 'required with NODE_ENV=production');
    if (!choice.audience) throw new AuthSettingsError('JWT_AUDIENCE', 'required with NODE_ENV=production');
  }
  const rules = {
    ...(choice.issuer ? { issuer: choice.issuer } : {}),
    ...(choice.audience ? { audience: choice.audience } : {}),
    policy: choice.policy,
  };
  if (choice.jwksUrl) return { kind: 'jwks', jwksUrl: checkedJwksUrl(choice.jwksUrl), ...rules };
  const secret = ownSecret ?? DEV_JWT_SECRET;
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new AuthSettingsError('JWT_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes (RFC 7518 §3.2)`);
  }
  return { kind: 'secret', secret, ...rules };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Keys fetched over plain http could be swapped by anyone on the path: https only, except on this machine. */
function checkedJwksUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AuthSettingsError('JWT_JWKS_URL', 'not a URL');
  }
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && (LOOPBACK.has(url.hostname) || url.hostname.endsWith('.localhost'))) return value;
  throw new AuthSettingsError('JWT_JWKS_URL', 'must be an https URL (plain http only for localhost)');
}
