/**
 * The headers every response of the web app carries. The Content-Security-Policy lets the page run only
 * its own built files and connect only to itself and the services it was told about (`/config.json`): a
 * script injected into a message or a post could neither run nor send a token elsewhere.
 */
import type { RequestHandler } from 'express';
import type { ApiUrls } from './config.js';

/** The ports the page falls back to on its own host when a URL is not set (SPEC §2, `src/config.ts`). */
const DEFAULT_PORTS = { gatewayUrl: 8080, routerUrl: 8081, feedUrl: 8083 } as const;
const SCHEMES = { gatewayUrl: ['ws', 'wss'], routerUrl: ['http', 'https'], feedUrl: ['http', 'https'] } as const;
/** a DNS name, IPv4 or bracketed IPv6 address: nothing that could end the policy's source list */
const HOSTNAME = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])$/i;

/**
 * Where the page may connect: the configured services' origins; for an unset one, the page's own host on
 * that service's default port, with either scheme (the page picks by its own, which a TLS-terminating
 * proxy hides from this server).
 */
export function connectSources(apis: ApiUrls, pageHostname: string | undefined): string[] {
  const sources = ["'self'"];
  for (const key of ['gatewayUrl', 'routerUrl', 'feedUrl'] as const) {
    const url = apis[key];
    if (url !== undefined) sources.push(new URL(url).origin);
    else if (pageHostname !== undefined && HOSTNAME.test(pageHostname))
      sources.push(...SCHEMES[key].map((scheme) => `${scheme}://${pageHostname}:${DEFAULT_PORTS[key]}`));
  }
  return [...new Set(sources)];
}

export function contentSecurityPolicy(connect: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    // the favicon is a data: URL (index.html)
    "img-src 'self' data:",
    `connect-src ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(apis: ApiUrls): RequestHandler {
  return (req, res, next) => {
    res.set({
      'content-security-policy': contentSecurityPolicy(connectSources(apis, req.hostname)),
      'x-content-type-options': 'nosniff',
      // a `?token=` link must not leak through the Referer header (the page also drops it from the address bar)
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
    });
    next();
  };
}
