/**
 * Where the client gets its JWT: a fixed string, or a provider called for every (re)connect and HTTP
 * call. `cachedToken` turns a token endpoint into such a provider that fetches only when the cached
 * token is about to expire, so a long-lived page keeps working across token lifetimes.
 */
export type TokenSource = string | (() => string | Promise<string>);

export const resolveToken = async (source: TokenSource): Promise<string> =>
  typeof source === 'function' ? source() : source;

/** The claims of a JWT (not verified: for display and expiry only), or undefined when it is not one. */
export function tokenClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims: unknown = JSON.parse(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '=')));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The `exp` claim of a JWT (seconds since the epoch), or undefined when it has none or is not a JWT. */
export function tokenExpiry(token: string): number | undefined {
  const exp = tokenClaims(token)?.exp;
  return typeof exp === 'number' ? exp : undefined;
}

export interface CachedTokenOptions {
  /** fetch a new token this long before the cached one expires; default 60 s */
  refreshBeforeSec?: number;
  now?: () => number;
}

/** A provider that calls `fetchToken` once per token lifetime (concurrent callers share one fetch). */
export function cachedToken(
  fetchToken: () => Promise<string>,
  { refreshBeforeSec = 60, now = Date.now }: CachedTokenOptions = {},
): () => Promise<string> {
  let current: { token: string; exp: number | undefined } | undefined;
  let inFlight: Promise<string> | undefined;
  return () => {
    if (current && (current.exp === undefined || current.exp * 1000 - refreshBeforeSec * 1000 > now())) {
      return Promise.resolve(current.token);
    }
    inFlight ??= fetchToken().then(
      (token) => {
        current = { token, exp: tokenExpiry(token) };
        inFlight = undefined;
        return token;
      },
      (err: unknown) => {
        inFlight = undefined;
        throw err;
      },
    );
    return inFlight;
  };
}
