import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintToken } from './mint.js';
import { AuthError, bearerToken, createVerifier } from './verifier.js';

const secret = 'test-secret-of-enough-length-000000';
const verify = createVerifier({ kind: 'secret', secret });
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('createVerifier (HS256)', () => {
  it('accepts a valid token and reads the admin role', async () => {
    expect(await verify(await mintToken('alice', { secret }))).toEqual({ userId: 'alice', admin: false });
    expect(await verify(await mintToken('root', { secret, admin: true }))).toEqual({
      userId: 'root',
      admin: true,
    });
  });

  it('rejects an expired token', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(secret));
    await expect(verify(token)).rejects.toThrow(/expired/);
  });

  it('rejects a wrong signature', async () => {
    await expect(verify(await mintToken('a', { secret: 'another-secret-0000000000000000' }))).rejects.toBeInstanceOf(
      AuthError,
    );
  });

  it('rejects alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'a', exp: Math.floor(Date.now() / 1000) + 60 })}.`;
    await expect(verify(token)).rejects.toBeInstanceOf(AuthError);
  });

  it('rejects a token without exp', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .sign(new TextEncoder().encode(secret));
    await expect(verify(token)).rejects.toThrow(/exp/);
  });

  it('checks issuer and audience when configured', async () => {
    const strict = createVerifier({ kind: 'secret', secret, issuer: 'cc', audience: 'chat' });
    await expect(strict(await mintToken('a', { secret }))).rejects.toBeInstanceOf(AuthError);
    expect((await strict(await mintToken('a', { secret, issuer: 'cc', audience: 'chat' }))).userId).toBe('a');
  });
});

describe('createVerifier (JWKS)', () => {
  it('accepts RS256 from the key set and refuses an HS256 token signed with the public key (alg confusion)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
      const rs = createVerifier({ kind: 'jwks', jwksUrl: url });
      const good = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setSubject('bob')
        .setExpirationTime('5m')
        .sign(privateKey);
      expect((await rs(good)).userId).toBe('bob');
      const confused = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setSubject('bob')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JSON.stringify(jwk)));
      await expect(rs(confused)).rejects.toBeInstanceOf(AuthError);
    } finally {
      server.close();
    }
  });
});

describe('bearerToken', () => {
  it('extracts the token of a Bearer header only', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
