/** The built service as a process: settings validated at start-up, health, readiness, metrics, SIGTERM. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  mongoUrlFor,
  removeFeedNamespace,
  servers,
  startService,
  TEST_AUTH_ENV,
  uniqueNamespace,
} from '@coffeechat/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = path.resolve(fileURLToPath(import.meta.url), '../../dist/main.js');
const ns = uniqueNamespace('feedp');
const env = {
  ...TEST_AUTH_ENV,
  CC_NAMESPACE: ns,
  AMQP_URL: servers.amqpUrl,
  REDIS_URL: servers.redisUrl,
  MONGO_URL: mongoUrlFor(ns),
};

afterAll(() => removeFeedNamespace(ns));

describe('feed process', () => {
  it.each([
    ['FEED_CACHE', 'maybe'],
    ['FEED_PORT', '99999'],
    ['REDIS_URL', 'http://localhost'],
    ['MONGO_URL', 'not a url'],
  ])('refuses a bad %s with one line naming it', (name, value) => {
    const r = spawnSync(process.execPath, [MAIN], { env: { ...process.env, ...env, [name]: value }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`config error: ${name}:`);
  });

  const stderrOf = (extra: Record<string, string>) => {
    const r = spawnSync(process.execPath, [MAIN], { env: { ...process.env, ...env, ...extra }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    return r.stderr.trim();
  };

  it('refuses to start without a choice of token settings, and the development secret in production', () => {
    expect(stderrOf({ JWT_DEV_SECRET: '' })).toMatch(/^config error: JWT_SECRET: no token verification configured/);
    const production = { NODE_ENV: 'production', JWT_ISSUER: 'https://issuer.example', JWT_AUDIENCE: 'chat' };
    expect(stderrOf(production)).toBe(
      'config error: JWT_DEV_SECRET: NODE_ENV=production refuses the built-in development secret',
    );
    expect(stderrOf({ JWT_DEV_SECRET: '', JWT_SECRET: 'short-secret' })).toMatch(
      /JWT_SECRET: must be at least 32 bytes/,
    );
  });

  it('never prints the password of a connection string it refuses', () => {
    const line = stderrOf({ MONGO_URL: 'mongodb://chat:Sup3r/Secret@db1:27017,db2:27017/chat' });
    expect(line).toMatch(/^config error: MONGO_URL: not a MongoDB connection string/);
    expect(line).not.toContain('Sup3r');
  });

  it('serves health, readiness and metrics, logs JSON, and stops on SIGTERM', async () => {
    const proc = await startService('feed', await freePort(), { ...env, LOG_LEVEL: 'info' });
    const base = `http://127.0.0.1:${proc.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('# TYPE coffeechat_feed_cache_hits_total counter');
    expect(metrics).toContain('nodejs_gc_duration_seconds');
    const started = Date.now();
    await proc.stop();
    expect(proc.child.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const lines = proc.output().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.some((l) => JSON.parse(l).msg === 'feed listening')).toBe(true);
  });
});
