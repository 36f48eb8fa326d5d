import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthError } from './auth-error.js';
import { mintToken } from './mint.js';
import { bearerToken, createTokenVerifier, createVerifier } from './verifier.js';

const secret = 'test-secret-of-enough-length-000000';
const key = new TextEncoder().encode(secret);
const verify = createVerifier({ kind: 'secret', secret });
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const nowSec = () => Math.floor(Date.now() / 1000);
/** An HS256 token with exactly these claims (and no others). */
const signed = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);

describe('createVerifier (HS256)', () => {
  it('accepts a valid token and reads the admin role', async () => {
    expect(await verify(await mintToken('alice', { secret }))).toMatchObject({ userId: 'alice', admin: false });
    expect(await verify(await mintToken('root', { secret, admin: true }))).toMatchObject({
      userId: 'root',
      admin: true,
    });
    const exp = nowSec() + 60;
    expect(await verify(await signed({ sub: 'ann', exp }))).toEqual({ userId: 'ann', admin: false, exp });
  });

  it('rejects an expired token', async () => {
    await expect(verify(await signed({ sub: 'a', exp: nowSec() - 60 }))).rejects.toThrow(/expired/);
  });

  it('rejects a wrong signature', async () => {
    await expect(verify(await mintToken('a', { secret: 'another-secret-0000000000000000' }))).rejects.toBeInstanceOf(
      AuthError,
    );
  });

  it('rejects alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'a', exp: nowSec() + 60 })}.`;
    await expect(verify(token)).rejects.toBeInstanceOf(AuthError);
  });

  it('rejects a token without exp', async () => {
    await expect(verify(await signed({ sub: 'a' }))).rejects.toThrow(/exp/);
  });

  it('checks issuer and audience when configured', async () => {
    const strict = createVerifier({ kind: 'secret', secret, issuer: 'cc', audience: 'chat' });
    await expect(strict(await mintToken('a', { secret }))).rejects.toBeInstanceOf(AuthError);
    expect((await strict(await mintToken('a', { secret, issuer: 'cc', audience: 'chat' }))).userId).toBe('a');
  });

  it('takes `sub` only when it is a user id of the contracts (no spaces, no control characters, ≤ 128)', async () => {
    for (const sub of ['has space', 'tab\there', 'nl\n', '', 'x'.repeat(129), 42]) {
      await expect(verify(await signed({ sub, exp: nowSec() + 60 })), JSON.stringify(sub)).rejects.toThrow(AuthError);
    }
    await expect(verify(await signed({ sub: 'has space', exp: nowSec() + 60 }))).rejects.toThrow(/sub/);
    expect((await verify(await signed({ sub: 'ünïcødé@example.com', exp: nowSec() + 60 }))).userId).toBe(
      'ünïcødé@example.com',
    );
  });
});

describe('token policy: maximum age and clock tolerance', () => {
  const policy = { maxAgeSec: 3600, clockToleranceSec: 30 };
  const strict = createVerifier({ kind: 'secret', secret, policy });

  it('refuses a token that lives longer than the maximum age, with or without iat', async () => {
    const now = nowSec();
    expect((await strict(await signed({ sub: 'a', iat: now, exp: now + 3600 }))).userId).toBe('a');
    await expect(strict(await signed({ sub: 'a', iat: now, exp: now + 3600 + 31 }))).rejects.toThrow(
      /lives longer than 3600 s/,
    );
    await expect(strict(await signed({ sub: 'a', exp: now + 7200 }))).rejects.toThrow(/lives longer/);
    // an old iat with a far exp is as long-lived as a new one
    await expect(strict(await signed({ sub: 'a', iat: now - 3000, exp: now + 1000 }))).rejects.toThrow(/lives longer/);
    expect(await verify(await mintToken('a', { secret, ttl: '24h' }))).toMatchObject({ userId: 'a' });
    await expect(verify(await mintToken('a', { secret, ttl: '25h' }))).rejects.toThrow(/lives longer/);
  });

  it('forgives clock skew up to the tolerance, and no more', async () => {
    const now = nowSec();
    expect((await strict(await signed({ sub: 'a', iat: now + 20, exp: now + 600 }))).userId).toBe('a');
    await expect(strict(await signed({ sub: 'a', iat: now + 60, exp: now + 600 }))).rejects.toThrow(/iat/);
    expect((await strict(await signed({ sub: 'a', exp: now - 20 }))).userId).toBe('a');
    await expect(strict(await signed({ sub: 'a', exp: now - 40 }))).rejects.toThrow(/expired/);
    await expect(strict(await signed({ sub: 'a', nbf: now + 60, exp: now + 600 }))).rejects.toThrow(/nbf/);
  });

  it('reads the time from the clock it is given', async () => {
    let at = Date.now();
    const clocked = createVerifier({ kind: 'secret', secret, policy }, () => at);
    const token = await signed({ sub: 'a', iat: nowSec(), exp: nowSec() + 60 });
    expect((await clocked(token)).userId).toBe('a');
    at += 95_000;
    await expect(clocked(token)).rejects.toThrow(/expired/);
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

describe('createTokenVerifier: verifyNow', () => {
  it('decides an HS256 token at once, refusals included', async () => {
    const now = createTokenVerifier({ kind: 'secret', secret });
    expect(now.verifyNow(await mintToken('ann', { secret }))).toMatchObject({ userId: 'ann' });
    expect(() => now.verifyNow('x.y.z')).toThrow(AuthError);
    expect(() => now.verifyNow(`${b64({ alg: 'none' })}.${b64({ sub: 'a', exp: nowSec() + 60 })}.`)).toThrow(
      /ALG_NOT_ALLOWED/,
    );
  });

  it('with a key set: undecided until the first fetch, then at once; a new kid fetches the set again', async () => {
    const first = await generateKeyPair('ES256');
    const second = await generateKeyPair('ES256');
    let keys = [{ ...(await exportJWK(first.publicKey)), kid: 'k1' }];
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches += 1;
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
      let at = Date.now();
      const v = createTokenVerifier({ kind: 'jwks', jwksUrl: url }, () => at);
      const token = (kid: string, key: CryptoKey) =>
        new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid }).setSubject('eve').setExpirationTime('1h').sign(key);
      const t1 = await token('k1', first.privateKey);
      expect(v.verifyNow(t1)).toBeUndefined();
      expect(await v.verify(t1)).toMatchObject({ userId: 'eve' });
      expect(v.verifyNow(t1)).toMatchObject({ userId: 'eve' });
      expect(fetches).toBe(1);
      // rotated: k2 is not in the set fetched; within 30 s of a fetch the set is not asked again
      keys = [...keys, { ...(await exportJWK(second.publicKey)), kid: 'k2' }];
      const t2 = await token('k2', second.privateKey);
      expect(() => v.verifyNow(t2)).toThrow(/ERR_JWKS_NO_MATCHING_KEY/);
      at += 31_000;
      expect(v.verifyNow(t2)).toBeUndefined();
      expect(await v.verify(t2)).toMatchObject({ userId: 'eve' });
      expect(fetches).toBe(2);
      // past half of its 10 minutes the set in hand still answers while it is fetched again
      at += 300_000;
      expect(v.verifyNow(t1)).toMatchObject({ userId: 'eve' });
      for (let i = 0; i < 100 && fetches < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(fetches).toBe(3);
      // a set older than 10 minutes decides nothing: the fetch is started, the caller asks again
      at += 600_000;
      expect(v.verifyNow(t1)).toBeUndefined();
      expect(await v.verify(t1)).toMatchObject({ userId: 'eve' });
      expect(fetches).toBe(4);
    } finally {
      server.close();
    }
  });
});
