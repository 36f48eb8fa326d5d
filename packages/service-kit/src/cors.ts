/**
 * CORS for the HTTP APIs (SPEC §5: browsers on an allowed origin may call every API). The same
 * `ALLOWED_ORIGINS` list as the gateway's WebSocket upgrade: empty allows any origin.
 */
import cors from 'cors';
import type { RequestHandler } from 'express';

export function corsFor(allowedOrigins: readonly string[]): RequestHandler {
  return cors({
    // `true` reflects the request's Origin; a list answers only its members (others get no CORS headers).
    origin: allowedOrigins.length === 0 ? true : [...allowedOrigins],
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    exposedHeaders: ['retry-after'],
    maxAge: 600,
  });
}
