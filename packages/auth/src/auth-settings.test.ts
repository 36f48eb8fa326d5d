/** Every rule of `resolveAuthSettings` (SPEC §2–§3): what a service refuses to start with, and why. */
import { describe, expect, it } from 'vitest';
import { type AuthChoice, AuthSettingsError, resolveAuthSettings } from './auth-settings.js';
import { DEV_JWT_SECRET } from './dev-secret.js';
import { DEFAULT_TOKEN_POLICY } from './token-policy.js';

const secret = 'a-secret-of-exactly-32-bytes-000';
const base: AuthChoice = { devSecret: false, policy: DEFAULT_TOKEN_POLICY };
const dev = { production: false };
const prod = { production: true };
const claims = { issuer: 'https://issuer.example', audience: 'coffeechat' };

function refusal(choice: Partial<AuthChoice>, env = dev): { variable: string; message: string } {
  try {
    resolveAuthSettings({ ...base, ...choice }, env);
  } catch (err) {
    if (err instanceof AuthSettingsError) return { variable: err.variable, message: err.message };
    throw err;
  }
  throw new Error('accepted');
}

describe('resolveAuthSettings', () => {
  it('refuses to start with nothing chosen, naming the ways out', () => {
    const r = refusal({});
    expect(r.variable).toBe('JWT_SECRET');
    expect(r.message).toMatch(/JWT_SECRET.*JWT_JWKS_URL.*JWT_DEV_SECRET=1/);
  });

  it('takes the development secret only when chosen: JWT_DEV_SECRET=1 or JWT_SECRET set to it', () => {
    expect(resolveAuthSettings({ ...base, devSecret: true }, dev)).toMatchObject({
      kind: 'secret',
      secret: DEV_JWT_SECRET,
    });
    expect(resolveAuthSettings({ ...base, secret: DEV_JWT_SECRET }, dev)).toMatchObject({ secret: DEV_JWT_SECRET });
  });

  it('refuses the development secret with NODE_ENV=production, however it was chosen', () => {
    expect(refusal({ devSecret: true, ...claims }, prod)).toEqual({
      variable: 'JWT_DEV_SECRET',
      message: 'NODE_ENV=production refuses the built-in development secret',
    });
    expect(refusal({ secret: DEV_JWT_SECRET, ...claims }, prod).variable).toBe('JWT_SECRET');
    // before anything else production wants: that is the line to read
    expect(refusal({ devSecret: true }, prod).variable).toBe('JWT_DEV_SECRET');
  });

  it('refuses two choices at once', () => {
    expect(refusal({ secret, devSecret: true })).toEqual({
      variable: 'JWT_DEV_SECRET',
      message: 'set only one of JWT_SECRET, JWT_DEV_SECRET',
    });
    expect(refusal({ secret, jwksUrl: 'https://issuer.example/jwks' }).variable).toBe('JWT_JWKS_URL');
    // the development secret named both ways is one choice
    expect(resolveAuthSettings({ ...base, devSecret: true, secret: DEV_JWT_SECRET }, dev)).toMatchObject({
      secret: DEV_JWT_SECRET,
    });
  });

  it('wants an HS256 secret of at least 32 bytes (RFC 7518), counted in UTF-8', () => {
    expect(refusal({ secret: 'x'.repeat(31) })).toEqual({
      variable: 'JWT_SECRET',
      message: 'must be at least 32 bytes (RFC 7518 §3.2)',
    });
    expect(resolveAuthSettings({ ...base, secret }, dev)).toMatchObject({ kind: 'secret', secret });
    expect(resolveAuthSettings({ ...base, secret: 'é'.repeat(16) }, dev)).toMatchObject({ kind: 'secret' });
  });

  it('fetches keys over https only, plain http for this machine alone', () => {
    for (const url of [
      'https://issuer.example/jwks',
      'http://localhost:9000/jwks',
      'http://127.0.0.1/k',
      'http://[::1]:1/k',
    ]) {
      expect(resolveAuthSettings({ ...base, jwksUrl: url }, dev)).toMatchObject({ kind: 'jwks', jwksUrl: url });
    }
    expect(refusal({ jwksUrl: 'http://issuer.example/jwks' })).toEqual({
      variable: 'JWT_JWKS_URL',
      message: 'must be an https URL (plain http only for localhost)',
    });
    expect(refusal({ jwksUrl: 'ftp://issuer.example/jwks' }).variable).toBe('JWT_JWKS_URL');
    expect(refusal({ jwksUrl: 'http://u:hunter2@[bad' })).toEqual({ variable: 'JWT_JWKS_URL', message: 'not a URL' });
  });

  it('requires issuer and audience with NODE_ENV=production', () => {
    expect(refusal({ secret }, prod)).toEqual({ variable: 'JWT_ISSUER', message: 'required with NODE_ENV=production' });
    expect(refusal({ secret, issuer: claims.issuer }, prod).variable).toBe('JWT_AUDIENCE');
    expect(resolveAuthSettings({ ...base, secret, ...claims }, prod)).toEqual({
      kind: 'secret',
      secret,
      ...claims,
      policy: DEFAULT_TOKEN_POLICY,
    });
    // outside production they stay optional, and are checked when set
    expect(resolveAuthSettings({ ...base, secret }, dev)).toEqual({
      kind: 'secret',
      secret,
      policy: DEFAULT_TOKEN_POLICY,
    });
  });
});
