/**
 * A compact JWT taken apart (RFC 7515 §7.1, RFC 7519 §7.2): three base64url segments, a header and a
 * claims set that are JSON objects in UTF-8. Nothing in it is trusted until `jwt-signature.ts` checked
 * the signature over `signingInput`; the claims are read only then (`claimsOf`), as jose did.
 */
import { refused } from './auth-error.js';

export interface CompactJwt {
  header: Record<string, unknown>;
  /** the claims set, base64url */
  payload: string;
  /** `<header>.<payload>` as sent: what the signature covers */
  signingInput: string;
  signature: Buffer;
}

/** base64url without padding; a length of 4n+1 is never valid */
const SEGMENT = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseCompactJwt(token: string): CompactJwt {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p) && p.length % 4 !== 1)) {
    throw refused('ERR_JWS_INVALID');
  }
  const [header, payload, signature] = parts as [string, string, string];
  const parsedHeader = jsonObject(header);
  if (!parsedHeader) throw refused('ERR_JWS_INVALID');
  return {
    header: parsedHeader,
    payload,
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}

/** The claims set of a token whose signature was checked. */
export function claimsOf(jwt: CompactJwt): Record<string, unknown> {
  const claims = jsonObject(jwt.payload);
  if (!claims) throw refused('ERR_JWT_INVALID');
  return claims;
}

function jsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
