/** The web app's server in-process: development sign-in exists only with the development secret. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createVerifier, DEV_JWT_SECRET } from '@coffeechat/auth';
import { createLogger } from '@coffeechat/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { startWebServer, type WebServer } from './web-server.js';

const publicDir = mkdtempSync(path.join(os.tmpdir(), 'cc-web-'));
writeFileSync(path.join(publicDir, 'index.html'), '<!doctype html><title>CoffeeChat</title>');
const logger = createLogger('web-test', 'silent');
let server: WebServer | undefined;

async function start(env: Record<string, string>): Promise<string> {
  server = await startWebServer(loadConfig({ WEB_PORT: '0', ...env }), publicDir, logger);
  return `http://127.0.0.1:${server.port}`;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const postToken = (base: string, body: unknown) =>
  fetch(`${base}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('web server', () => {
  it('with the development secret: /dev/token mints verifiable tokens and refuses bad names', async () => {
    const base = await start({ JWT_SECRET: DEV_JWT_SECRET, WEB_GATEWAY_URL: 'ws://chat.example:9000/ws' });
    const config = await (await fetch(`${base}/config.json`)).json();
    expect(config).toEqual({ gatewayUrl: 'ws://chat.example:9000/ws', devSignIn: true });
    const res = await postToken(base, { userId: 'alice' });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const identity = await createVerifier({ kind: 'secret', secret: DEV_JWT_SECRET })(token);
    expect(identity).toMatchObject({ userId: 'alice', admin: false });
    const bad = await postToken(base, { userId: 'has space' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    expect((await postToken(base, { userId: 'a', extra: 1 })).status).toBe(400);
  });

  it('with any other secret there is no /dev/token', async () => {
    const base = await start({ JWT_SECRET: 'a-real-secret-of-the-deployment-00' });
    expect((await postToken(base, { userId: 'alice' })).status).toBe(404);
    expect(await (await fetch(`${base}/config.json`)).json()).toEqual({ devSignIn: false });
  });

  it('serves the app for client-side routes, 404 for missing files, and the service endpoints', async () => {
    const base = await start({ JWT_SECRET: 'a-real-secret-of-the-deployment-00' });
    for (const route of ['/', '/rooms/coffee-1', '/posts/popular']) {
      const res = await fetch(`${base}${route}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<title>CoffeeChat</title>');
    }
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('coffeechat_ready');
  });

  it('refuses a bad service URL at start-up, naming the variable', () => {
    expect(() => loadConfig({ WEB_FEED_URL: 'ftp://x' })).toThrow(/WEB_FEED_URL/);
  });

  it('without a token setting it starts, production too, with no /dev/token; given ones are checked', async () => {
    for (const env of [{ NODE_ENV: 'production' }, { JWT_DEV_SECRET: '0' }]) {
      expect(loadConfig(env)).toMatchObject({ auth: undefined, devTokens: false });
    }
    const base = await start({ NODE_ENV: 'production' });
    expect(await (await fetch(`${base}/config.json`)).json()).toEqual({ devSignIn: false });
    expect((await postToken(base, { userId: 'alice' })).status).toBe(404);
    expect(() => loadConfig({ JWT_DEV_SECRET: 'yes' })).toThrow(/JWT_DEV_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_DEV_SECRET: '1' })).toThrow(/JWT_DEV_SECRET/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
  });

  it('pages carry a Content-Security-Policy that connects to the configured services only', async () => {
    const base = await start({
      WEB_GATEWAY_URL: 'wss://chat.example.com/ws',
      WEB_ROUTER_URL: 'https://chat.example.com',
      WEB_FEED_URL: 'https://feed.example.com:8443',
    });
    for (const route of ['/', '/rooms/coffee-1', '/config.json']) {
      const res = await fetch(`${base}${route}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain(
        "connect-src 'self' wss://chat.example.com https://chat.example.com https://feed.example.com:8443;",
      );
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});
