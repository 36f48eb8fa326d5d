/** CORS on the shared HTTP app (SPEC §5): preflights answered before auth, only for allowed origins. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, createHttpApp, finishHttpApp, listen } from './http.js';
import { HttpProblem } from './http-problem.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';

let server: Server | undefined;

async function start(allowedOrigins: string[]): Promise<string> {
  const logger = createLogger('cors-test', 'silent');
  const app = createHttpApp({ logger, metrics: createMetrics('cors-test'), ready: () => true, allowedOrigins });
  app.get('/private', () => {
    throw new HttpProblem('UNAUTHORIZED', 'missing bearer token');
  });
  finishHttpApp(app, logger);
  server = await listen(app, 0, '127.0.0.1');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  if (server) await closeServer(server);
  server = undefined;
});

const preflight = (base: string, origin: string) =>
  fetch(`${base}/private`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });

describe('CORS', () => {
  it('answers a listed origin’s preflight without a token, and tags its errors too', async () => {
    const base = await start(['http://app.example']);
    const res = await preflight(base, 'http://app.example');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
    const denied = await fetch(`${base}/private`, { headers: { origin: 'http://app.example' } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(denied.headers.get('access-control-expose-headers')).toBe('retry-after');
  });

  it('gives an unlisted origin no CORS headers, so its browser refuses the answer', async () => {
    const base = await start(['http://app.example']);
    const res = await preflight(base, 'http://evil.example');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an empty list allows any origin', async () => {
    const base = await start([]);
    const res = await preflight(base, 'http://anything.example:8084');
    expect(res.headers.get('access-control-allow-origin')).toBe('http://anything.example:8084');
  });
});
