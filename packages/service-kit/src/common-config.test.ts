/**
 * Start-up settings every service shares (SPEC §2): the token settings reach `resolveAuthSettings`
 * (whose rules packages/auth tests one by one), a bad value stops the process with one line naming the
 * variable, and no URL in such a line shows its password.
 */
import { DEV_JWT_SECRET } from '@coffeechat/auth';
import { describe, expect, it } from 'vitest';
import { commonConfig, mongoUrl, redisUrl } from './common-config.js';
import { ConfigError, type Env } from './env.js';
import { redactUrl } from './url-redaction.js';

const dev: Env = { JWT_DEV_SECRET: '1' };

function failure(env: Env, load: (env: Env) => unknown = commonConfig): string {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('accepted');
}

describe('token settings', () => {
  it('refuses to start without a choice, in one line naming the variable', () => {
    const line = failure({});
    expect(line).toMatch(/^JWT_SECRET: no token verification configured/);
    expect(line).not.toContain('\n');
  });

  it('uses the development secret when JWT_DEV_SECRET=1, never with NODE_ENV=production', () => {
    expect(commonConfig(dev).auth).toMatchObject({ kind: 'secret', secret: DEV_JWT_SECRET });
    expect(failure({ ...dev, NODE_ENV: 'production', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' })).toBe(
      'JWT_DEV_SECRET: NODE_ENV=production refuses the built-in development secret',
    );
    expect(failure({ JWT_DEV_SECRET: 'yes' })).toMatch(/^JWT_DEV_SECRET: must be one of 0, 1/);
  });

  it('reads the maximum token age and the clock tolerance, within bounds', () => {
    expect(commonConfig(dev).auth.policy).toEqual({ maxAgeSec: 86_400, clockToleranceSec: 30 });
    const env = { ...dev, JWT_MAX_AGE_SEC: '3600', JWT_CLOCK_TOLERANCE_SEC: '5' };
    expect(commonConfig(env).auth.policy).toEqual({ maxAgeSec: 3600, clockToleranceSec: 5 });
    expect(failure({ ...dev, JWT_CLOCK_TOLERANCE_SEC: '3600' })).toMatch(/^JWT_CLOCK_TOLERANCE_SEC: must be between/);
    expect(failure({ ...dev, JWT_MAX_AGE_SEC: '1h' })).toMatch(/^JWT_MAX_AGE_SEC: expected an integer/);
  });

  it('production needs issuer, audience and a real secret', () => {
    const secret = 'k'.repeat(48);
    expect(failure({ NODE_ENV: 'production', JWT_SECRET: secret })).toBe(
      'JWT_ISSUER: required with NODE_ENV=production',
    );
    const ok = commonConfig({ NODE_ENV: 'production', JWT_SECRET: secret, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' });
    expect(ok.auth).toMatchObject({ kind: 'secret', issuer: 'i', audience: 'a' });
    expect(ok.production).toBe(true);
  });
});

describe('URLs in error messages', () => {
  it('never show the password of a URL that does not parse', () => {
    const line = failure({ ...dev, AMQP_URL: 'amqp://chat:s3cret-pw@rabbit host:5672' });
    expect(line).toBe('AMQP_URL: not a URL: "amqp://chat:***@rabbit host:5672"');
    expect(failure({ REDIS_URL: 'redis://:hunter2@[::1' }, redisUrl)).toBe('REDIS_URL: not a URL: "redis://:***@[::1"');
  });

  it('redacts user:password, a lone token and password parameters', () => {
    expect(redactUrl('amqps://svc:p@ss:w/rd@host:5671/vh')).toBe('amqps://svc:***@host:5671/vh');
    expect(redactUrl('https://ghp_token@host/x')).toBe('https://***@host/x');
    expect(redactUrl('redis://host:6379?password=pw&db=2')).toBe('redis://host:6379?password=***&db=2');
    expect(redactUrl('mongodb://a:27017/db')).toBe('mongodb://a:27017/db');
  });
});

describe('MONGO_URL', () => {
  const parse = (value: string) => mongoUrl({ MONGO_URL: value });

  it('takes a replica set seed list and mongodb+srv, as the driver does', () => {
    const seeds = 'mongodb://u:p@a:27017,b:27017,c:27018/chat?replicaSet=rs&tls=true';
    expect(parse(seeds)).toBe(seeds);
    expect(parse('mongodb+srv://u:p@cluster.example.com/chat')).toBe('mongodb+srv://u:p@cluster.example.com/chat');
    expect(mongoUrl({})).toBe('mongodb://127.0.0.1:27017/coffeechat');
  });

  it('refuses what the driver refuses, without the password', () => {
    for (const bad of [
      'mongodb://u:p@ss@a:27017/db',
      'http://u:topsecret@a:27017/db',
      'mongodb://u:topsecret@/db',
      'mongodb+srv://u:topsecret@a.example.com:27017/db',
    ]) {
      const line = failure({ MONGO_URL: bad }, mongoUrl);
      expect(line).toMatch(/^MONGO_URL: not a MongoDB connection string/);
      expect(line, line).not.toMatch(/topsecret|p@ss/);
    }
  });
});
