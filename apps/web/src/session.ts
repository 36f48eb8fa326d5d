/**
 * Who is signed in, and the token provider every connection and HTTP call asks. Two ways in: a JWT
 * handed over in `?token=` (kept for this tab, removed from the address bar), or, in development,
 * a user name exchanged for a development token at `/dev/token` (fetched again before it expires).
 */
import { cachedToken, tokenClaims, tokenExpiry } from '@coffeechat/client';

export interface Session {
  userId: string;
  token: () => Promise<string>;
  /** signed in through development sign-in */
  dev: boolean;
}

const TOKEN_KEY = 'coffeechat.token';
const USER_KEY = 'coffeechat.devUser';

/** Takes `?token=` and `?room=` off the address; the token is kept in this tab's session storage. */
export function takeUrlParams(): { room: string | null } {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  const room = url.searchParams.get('room');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.removeItem(USER_KEY);
  }
  url.searchParams.delete('token');
  url.searchParams.delete('room');
  if (token || room) history.replaceState(null, '', url.pathname + url.search + url.hash);
  return { room };
}

export type Restored = { session: Session } | { problem: string } | null;

export function restoreSession(devSignInAvailable: boolean): Restored {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    const sub = tokenClaims(token)?.sub;
    const exp = tokenExpiry(token);
    if (typeof sub !== 'string' || sub === '') return forget('The token in the link is not a CoffeeChat token.');
    if (exp !== undefined && exp * 1000 <= Date.now()) return forget('The token in the link has expired.');
    return { session: { userId: sub, token: () => Promise.resolve(token), dev: false } };
  }
  const devUser = sessionStorage.getItem(USER_KEY);
  if (devUser && devSignInAvailable) return { session: devSession(devUser) };
  return null;
}

function forget(problem: string): Restored {
  sessionStorage.removeItem(TOKEN_KEY);
  return { problem };
}

/** Signs in with a user name (development only); throws the server's message when refused. */
export async function devSignIn(userId: string): Promise<Session> {
  const session = devSession(userId);
  await session.token(); // fails here, on the sign-in form, when the name is refused
  sessionStorage.setItem(USER_KEY, userId);
  return session;
}

function devSession(userId: string): Session {
  return { userId, token: cachedToken(() => devToken(userId)), dev: true };
}

export async function devToken(userId: string, admin = false): Promise<string> {
  const res = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin ? { userId, admin } : { userId }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
  if (!res.ok || !body.token) throw new Error(body.error?.message ?? `sign-in failed (${res.status})`);
  return body.token;
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
}
