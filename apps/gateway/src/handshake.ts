/**
 * Decisions taken on the HTTP upgrade request, before any WebSocket exists (SPEC §4): which token the
 * client presented and whether its Origin may connect. Verification itself is the auth package's.
 */
import { bearerToken } from '@coffeechat/auth';

export interface UpgradeRequest {
  /** `?token=` (already URL-decoded), empty when absent */
  queryToken: string;
  /** the `Authorization` header, empty when absent */
  authorization: string;
  /** the `Origin` header, empty when absent */
  origin: string;
}

export type HandshakeVerdict = { ok: true; token: string } | { ok: false; status: 401 | 403; message: string };

/**
 * Browsers always send `Origin`; a request without one comes from a non-browser client, which the
 * list cannot protect against anyway, so only a present, unlisted Origin is refused.
 */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  return allowed.length === 0 || origin === '' || allowed.includes(origin);
}

export function judgeUpgrade(req: UpgradeRequest, allowedOrigins: readonly string[]): HandshakeVerdict {
  if (!originAllowed(req.origin, allowedOrigins)) return { ok: false, status: 403, message: 'origin not allowed' };
  const token = req.queryToken || bearerToken(req.authorization);
  if (!token) return { ok: false, status: 401, message: 'missing token' };
  return { ok: true, token };
}
