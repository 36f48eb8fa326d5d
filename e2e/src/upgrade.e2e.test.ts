/**
 * The WebSocket upgrade (D7 in docs/reliability.md): every upgrade is written corked, so the gateway
 * prints no "uWS.HttpResponse writes must be made from within a corked callback" warning, and no socket
 * is closed right after its 101 (the 1006 seen when upgrading inside `res.cork` from a later callback).
 * Every upgrade is decided in uWS's own upgrade handler: with HS256, and with a key set (JWKS) once it
 * was fetched; before that the gateway answers 503 with Retry-After and fetches it.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatStack, eventually, RawSocket, tokenFor } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const WARNING = 'corked callback';
const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An ES256 token of the issuer whose key set the JWKS gateway fetches. */
function es256Token(key: KeyObject, kid: string, sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64(JSON.stringify({ alg: 'ES256', kid }))}.${b64(JSON.stringify({ sub, iat: now, exp: now + 600 }))}`;
  return `${input}.${b64(sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }))}`;
}

/** Opens the sockets `at` a time; each must answer a ping after its hello (it was not closed after the 101). */
async function openAll(url: string, tokens: string[], at = 50): Promise<RawSocket[]> {
  const sockets: RawSocket[] = [];
  for (let i = 0; i < tokens.length; i += at) {
    const batch = await Promise.all(tokens.slice(i, i + at).map((t) => RawSocket.open(url, t)));
    await Promise.all(batch.map((s) => s.request({ type: 'ping', id: 'p' })));
    sockets.push(...batch);
  }
  return sockets;
}

let stack: ChatStack;
let jwks: Server;
const issuer = generateKeyPairSync('ec', { namedCurve: 'P-256' });

beforeAll(async () => {
  const jwk = { ...issuer.publicKey.export({ format: 'jwk' }), kid: 'e2e', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  stack = await ChatStack.start({ label: 'upgrade', gateways: 1 });
  await stack.startGateway({ JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks` });
  await stack.startGateway({ GATEWAY_MAX_CONNECTIONS: '3' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  jwks?.close();
}, 60_000);

describe('WebSocket upgrades', () => {
  it('HS256: 400 upgrades and refusals, every socket answers after its hello, no warning', async () => {
    const url = stack.wsUrl(0);
    const sockets = await openAll(
      url,
      await Promise.all(Array.from({ length: 400 }, (_, i) => tokenFor(`up${i % 40}`))),
    );
    expect(sockets).toHaveLength(400);
    // refused in the same handler: a bad token (401) and the 11th socket of a user (429)
    expect(await RawSocket.handshakeStatus(`${url}?token=not.a.token`)).toBe(401);
    expect(await RawSocket.handshakeStatus(`${url}?token=${await tokenFor('up0')}`)).toBe(429);
    for (const s of sockets) s.close();
    await Promise.all(sockets.map((s) => s.whenClosed(5000)));
    expect(stack.gateways[0]?.output(), stack.outputs()).not.toContain(WARNING);
  });

  it('JWKS: 503 with Retry-After until the key set is fetched, then every upgrade at once; no warning', async () => {
    const url = stack.wsUrl(1);
    const tokens = Array.from({ length: 200 }, (_, i) => es256Token(issuer.privateKey, 'e2e', `jw${i % 20}`));
    const first = `${url}?token=${tokens[0]}`;
    expect(await RawSocket.handshakeStatus(first)).toBe(503);
    await eventually(async () => expect(await RawSocket.handshakeStatus(first)).toBe(101), 10_000, 100);
    const sockets = await openAll(url, tokens);
    expect(sockets.map((s) => s.frames[0])).toEqual(
      tokens.map((_, i) => expect.objectContaining({ type: 'hello', userId: `jw${i % 20}` })),
    );
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(await RawSocket.handshakeStatus(`${url}?token=${es256Token(other.privateKey, 'e2e', 'eve')}`)).toBe(401);
    for (const s of sockets) s.close();
    await Promise.all(sockets.map((s) => s.whenClosed(5000)));
    expect(stack.gateways[1]?.output(), stack.outputs()).not.toContain(WARNING);
  });

  it('a full gateway answers 503 with Retry-After and is not ready, instead of running out of files', async () => {
    const url = stack.wsUrl(2);
    const ready = () => fetch(url.replace(/^ws/, 'http').replace(/\/ws$/, '/readyz')).then((r) => r.status);
    const sockets = await openAll(url, await Promise.all(['f1', 'f2', 'f3'].map((u) => tokenFor(u))));
    expect(await RawSocket.handshakeStatus(`${url}?token=${await tokenFor('f4')}`)).toBe(503);
    expect(await ready()).toBe(503);
    sockets[0]?.close();
    await sockets[0]?.whenClosed(5000);
    await eventually(async () =>
      expect(await RawSocket.handshakeStatus(`${url}?token=${await tokenFor('f4')}`)).toBe(101),
    );
    expect(await ready()).toBe(200);
    for (const s of sockets.slice(1)) s.close();
  });
});
