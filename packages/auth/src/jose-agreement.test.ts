/**
 * The verifier (`jsonwebtoken`'s verify with our key selection and SPEC §3's rules) must agree with jose's
 * `jwtVerify` as the services used it, kept below as the reference, on generated tokens: the same
 * identity, or a refusal (an `AuthError`, never a failure). Tokens are built by hand so that headers,
 * claims and signatures can be anything a client may send. Where a token has several faults the two
 * libraries name different ones first (jose reads required claims, then `iss` and `aud`; jsonwebtoken
 * `nbf`, `exp`, then `aud` and `iss`); a token with one fault gets jose's message word for word.
 */
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserId, validator } from '@coffeechat/contracts';
import fc from 'fast-check';
import { createLocalJWKSet, errors, exportJWK, type JWTPayload, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from './auth-error.js';
import type { Identity } from './jwt-claims.js';
import type { TokenPolicy } from './token-policy.js';
import { createTokenVerifier, type Verifier } from './verifier.js';

const SECRET = 'agreement-secret-of-at-least-32-bytes';
const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The verifier as it was with jose (commit 66e356b), given the key or key set jose verified with. */
function joseReference(
  key: Uint8Array | ReturnType<typeof createLocalJWKSet>,
  algorithms: string[],
  rules: { issuer?: string; audience?: string; policy: TokenPolicy },
): Verifier {
  const userId = validator(UserId);
  const { maxAgeSec, clockToleranceSec } = rules.policy;
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: clockToleranceSec,
        currentDate: new Date(NOW_MS),
        ...(rules.issuer ? { issuer: rules.issuer } : {}),
        ...(rules.audience ? { audience: rules.audience } : {}),
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AuthError('token expired');
      if (err instanceof errors.JWTClaimValidationFailed)
        throw new AuthError(`invalid token (${err.claim}: ${err.reason})`);
      if (err instanceof errors.JOSEError) throw new AuthError(`invalid token (${err.code})`);
      throw err;
    }
    const { iat, exp } = payload as { iat?: number; exp: number };
    if (iat !== undefined && iat > NOW + clockToleranceSec) throw new AuthError('invalid token (iat: in the future)');
    if (exp - (iat ?? NOW) > maxAgeSec + clockToleranceSec) {
      throw new AuthError(`invalid token (exp: lives longer than ${maxAgeSec} s)`);
    }
    if (!userId.check(payload.sub)) throw new AuthError('invalid token (sub: not a user id)');
    const roles = (payload as { roles?: unknown }).roles;
    return { userId: payload.sub, admin: Array.isArray(roles) && roles.includes('admin'), exp };
  };
}

/** The verdict without the reason: the identity, or `refused`. */
const outcome = (v: Identity | string) => (typeof v === 'string' && v.startsWith('refused: ') ? 'refused' : v);

async function verdict(verify: Verifier, token: string): Promise<Identity | string> {
  try {
    return await verify(token);
  } catch (err) {
    if (err instanceof AuthError) return `refused: ${err.message}`;
    return `failed: ${(err as Error).message}`;
  }
}

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const time = (around: number) =>
  fc.oneof(
    fc.integer({ min: -100_000, max: 100_000 }).map((d) => Math.floor(around) + d),
    fc.constantFrom(around - 30, around - 31, around + 30, around + 31, 0, 1e12, 1.5),
    fc.constantFrom<unknown>('soon', null, [], true),
  );
const claimsArb = fc.record(
  {
    sub: fc.oneof(fc.constantFrom<unknown>('ann', 'bob@example.com', 'has space', '', 42, null), fc.string()),
    exp: time(NOW + 600),
    iat: time(NOW),
    nbf: time(NOW),
    iss: fc.constantFrom<unknown>('cc', 'other', 5),
    aud: fc.constantFrom<unknown>('chat', ['x', 'chat'], ['x'], 'x', 7),
    roles: fc.constantFrom<unknown>(['admin'], 'admin', ['user']),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
const rulesArb = fc.record({
  strict: fc.boolean(),
  policy: fc.constantFrom<TokenPolicy>(
    { maxAgeSec: 24 * 3600, clockToleranceSec: 30 },
    { maxAgeSec: 3600, clockToleranceSec: 0 },
  ),
});
const rulesOf = (r: { strict: boolean; policy: TokenPolicy }) =>
  r.strict ? { issuer: 'cc', audience: 'chat', policy: r.policy } : { policy: r.policy };

/** A token from parts: the payload as JSON, or something that is not a claims set. */
const payloadArb = fc.oneof(
  { weight: 8, arbitrary: claimsArb.map((c) => b64(JSON.stringify(c))) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(b64('[1]'), b64('not json'), b64(Buffer.from([0xff, 0xfe])), b64('null'), ''),
  },
);

describe('the verifier agrees with jose (HS256)', () => {
  const headerArb = fc.record(
    {
      alg: fc.constantFrom<unknown>('HS256', 'HS256', 'HS256', 'none', 'RS256', 'HS512', '', 7),
      typ: fc.constantFrom('JWT', 'at+jwt'),
      kid: fc.constantFrom<unknown>('k1', 3),
      crit: fc.constantFrom<unknown>(['exp'], []),
    },
    { requiredKeys: ['alg'] },
  );
  const signatureArb = fc.constantFrom('good', 'good', 'good', 'other-secret', 'empty', 'truncated', 'garbage');

  it('on generated tokens: the same identity or the same refusal', async () => {
    await fc.assert(
      fc.asyncProperty(optional(headerArb), payloadArb, signatureArb, rulesArb, async (header, payload, how, r) => {
        const rules = rulesOf(r);
        const head = b64(header === undefined ? 'not json' : JSON.stringify(header));
        const input = `${head}.${payload}`;
        const mac = (secret: string) => createHmac('sha256', secret).update(input).digest();
        const signature = {
          good: b64(mac(SECRET)),
          'other-secret': b64(mac(`${SECRET}-other`)),
          empty: '',
          truncated: b64(mac(SECRET).subarray(0, 20)),
          garbage: 'AAAA',
        }[how] as string;
        const token = `${input}.${signature}`;
        const ours = createTokenVerifier({ kind: 'secret', secret: SECRET, ...rules }, () => NOW_MS);
        const reference = joseReference(new TextEncoder().encode(SECRET), ['HS256'], rules);
        const expected = await verdict(reference, token);
        const got = await verdict(ours.verify, token);
        expect(outcome(got)).toEqual(outcome(expected));
        // with a secret every token is decided at once, and the same way
        let now: Identity | string | undefined;
        try {
          now = ours.verifyNow(token);
        } catch (err) {
          now = `refused: ${(err as Error).message}`;
        }
        expect(now).toEqual(got);
      }),
      { numRuns: 2000 },
    );
  }, 60_000);

  it('on tokens with one fault: the message of jose, word for word', async () => {
    const policy = { maxAgeSec: 3600, clockToleranceSec: 30 };
    const rules = { issuer: 'cc', audience: 'chat', policy };
    const ours = createTokenVerifier({ kind: 'secret', secret: SECRET, ...rules }, () => NOW_MS).verify;
    const reference = joseReference(new TextEncoder().encode(SECRET), ['HS256'], rules);
    const good = { sub: 'ann', iss: 'cc', aud: 'chat', iat: NOW, exp: NOW + 600 };
    const token = (claims: object, header: object = { alg: 'HS256' }, secret = SECRET) => {
      const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
      return `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`;
    };
    const { sub: _s, ...noSub } = good;
    const { exp: _e, ...noExp } = good;
    const { iss: _i, ...noIss } = good;
    const cases: Array<[string, string]> = [
      ['good', token(good)],
      ['expired', token({ ...good, exp: NOW - 31 })],
      ['not yet valid', token({ ...good, nbf: NOW + 31 })],
      ['other issuer', token({ ...good, iss: 'other' })],
      ['other audience', token({ ...good, aud: ['x'] })],
      ['no sub', token(noSub)],
      ['no exp', token(noExp)],
      ['no iss', token(noIss)],
      ['exp not a number', token({ ...good, exp: 'soon' })],
      ['nbf not a number', token({ ...good, nbf: 'soon' })],
      ['iat in the future', token({ ...good, iat: NOW + 31 })],
      ['iat not a number', token({ ...good, iat: 'soon' })],
      ['lives too long', token({ ...good, exp: NOW + 3600 + 31 })],
      ['sub not a user id', token({ ...good, sub: 'has space' })],
      ['other secret', token(good, { alg: 'HS256' }, `${SECRET}-other`)],
      ['alg none', token(good, { alg: 'none' })],
      ['alg HS512', token(good, { alg: 'HS512' })],
      ['alg RS256', token(good, { alg: 'RS256' })],
      ['critical extension', token(good, { alg: 'HS256', crit: ['exp'] })],
      ['payload not JSON', `${b64(JSON.stringify({ alg: 'HS256' }))}.${b64('not json')}.${b64('x')}`],
    ];
    for (const [name, t] of cases) expect(await verdict(ours, t), name).toEqual(await verdict(reference, t));
  });

  it('on malformed compact forms', async () => {
    const ours = createTokenVerifier({ kind: 'secret', secret: SECRET }, () => NOW_MS).verify;
    const reference = joseReference(new TextEncoder().encode(SECRET), ['HS256'], {
      policy: { maxAgeSec: 86_400, clockToleranceSec: 30 },
    });
    const good = `${b64(JSON.stringify({ alg: 'HS256' }))}.${b64(JSON.stringify({ sub: 'a', exp: NOW + 60 }))}`;
    const sig = b64(createHmac('sha256', SECRET).update(good).digest());
    for (const token of [
      '',
      '.',
      '..',
      'a.b',
      'a.b.c.d',
      `${good}.${sig}.`,
      `${good}.${sig}=`,
      `${good}.+/+/`,
      ` ${good}.${sig}`,
    ]) {
      expect((await verdict(ours, token)).toString().startsWith('refused'), token).toBe(true);
      expect(await verdict(reference, token), token).toMatchObject(/^refused/);
    }
    expect(await verdict(ours, `${good}.${sig}`)).toEqual(await verdict(reference, `${good}.${sig}`));
  });
});

describe('the verifier agrees with jose (JWKS: RS256, ES256)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaOther = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  let jwks: { keys: object[] };
  let url = '';
  const server = createServer((_req, res) => res.end(JSON.stringify(jwks)));

  beforeAll(async () => {
    jwks = {
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: 'r1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ec.publicKey)), kid: 'e1' },
        { ...(await exportJWK(weak.publicKey)), kid: 'w1' },
        { ...(await exportJWK(rsaOther.publicKey)), kid: 'r2', use: 'enc' },
      ],
    };
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(() => server.close());

  it('on generated tokens: the same identity or the same refusal', async () => {
    const policy = { maxAgeSec: 24 * 3600, clockToleranceSec: 30 };
    const reference = joseReference(createLocalJWKSet(jwks as never), ['RS256', 'ES256'], { policy });
    const ours = createTokenVerifier({ kind: 'jwks', jwksUrl: url, policy }, () => NOW_MS);
    const headerArb = fc.record(
      {
        alg: fc.constantFrom<unknown>('RS256', 'ES256', 'HS256', 'PS256', 'none'),
        kid: fc.constantFrom<unknown>('r1', 'e1', 'w1', 'r2', 'nope', 5),
      },
      { requiredKeys: ['alg'] },
    );
    const signerArb = fc.constantFrom('rsa', 'ec', 'weak', 'rsa-other', 'hmac-of-jwk');
    await fc.assert(
      fc.asyncProperty(headerArb, payloadArb, signerArb, async (header, payload, signer) => {
        const input = `${b64(JSON.stringify(header))}.${payload}`;
        const data = Buffer.from(input);
        const signature =
          signer === 'ec'
            ? sign('sha256', data, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })
            : signer === 'hmac-of-jwk'
              ? createHmac('sha256', JSON.stringify(jwks.keys[0])).update(input).digest()
              : sign(
                  'sha256',
                  data,
                  { rsa: rsa.privateKey, weak: weak.privateKey, 'rsa-other': rsaOther.privateKey }[signer],
                );
        const token = `${input}.${b64(signature)}`;
        const expected = await verdict(reference, token);
        // jose threw a TypeError for a key too weak for RS256 (a 500 then); here it is a refusal (named
        // ERR_JOSE_NOT_SUPPORTED unless the token has another fault the library finds first)
        const weakKey = typeof expected === 'string' && expected.startsWith('failed: RS256 requires key modulusLength');
        expect(outcome(await verdict(ours.verify, token))).toEqual(weakKey ? 'refused' : outcome(expected));
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});
