/**
 * The chart's and compose file's broker-users script (deploy/helm/coffeechat/files/broker-users.mjs) as a
 * process against an HTTP server that answers like RabbitMQ's management API and records the calls: one
 * user per service with the generated permissions, checked names, and no password in its output.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const FILES = path.resolve(fileURLToPath(import.meta.url), '../../../helm/coffeechat/files');
const SCRIPT = path.join(FILES, 'broker-users.mjs');
const spec = JSON.parse(readFileSync(path.join(FILES, 'broker-users.json'), 'utf8')) as {
  users: Record<string, { user: string; configure: string; write: string; read: string }>;
};

interface Call {
  method: string;
  url: string;
  authorization: string;
  body: unknown;
}

let server: Server | undefined;
afterEach(() => server?.close());

async function managementApi(status = 204): Promise<{ url: string; calls: Call[] }> {
  const calls: Call[] = [];
  const api = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      calls.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization ?? '',
        body: text ? JSON.parse(text) : undefined,
      });
      if (req.url === '/api/overview') res.writeHead(status === 401 ? 401 : 200).end('{}');
      else res.writeHead(status).end();
    });
  });
  server = api;
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(api.address() as AddressInfo).port}`, calls };
}

function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH ?? '', ...env } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

const serviceUrls = (ns: string) => ({
  AMQP_URL_GATEWAY: `amqps://${ns}-gateway:gw%2Fpw@rabbit:5671/chat`,
  AMQP_URL_MESSAGE_ROUTER: `amqps://${ns}-message-router:router-pw@rabbit:5671/chat`,
  AMQP_URL_PRESENCE: `amqps://${ns}-presence:presence-pw@rabbit:5671/chat`,
  AMQP_URL_FEED: `amqps://${ns}-feed:feed-pw@rabbit:5671/chat`,
});

/** The job's settings for namespace `prod`, against the management API at `url`. */
const jobEnv = (url: string, adminPassword = 'admin-pw') => ({
  RABBITMQ_MANAGEMENT_URL: url,
  RABBITMQ_ADMIN_USERNAME: 'admin',
  RABBITMQ_ADMIN_PASSWORD: adminPassword,
  CC_NAMESPACE: 'prod',
  ...serviceUrls('prod'),
});

describe('broker-users.mjs (management API)', () => {
  it('puts each service’s user with its password and exactly its permissions on the vhost of its URL', async () => {
    const api = await managementApi();
    const { code, output } = await run(jobEnv(api.url));
    expect(code, output).toBe(0);
    const puts = api.calls.filter((c) => c.method === 'PUT');
    expect(puts).toHaveLength(8);
    expect(puts.every((c) => c.authorization === `Basic ${Buffer.from('admin:admin-pw').toString('base64')}`)).toBe(
      true,
    );
    expect(puts[0]).toMatchObject({ url: '/api/users/prod-gateway', body: { password: 'gw/pw', tags: '' } });
    const fill = (s: string) => s.replaceAll('NAMESPACE', 'prod');
    const gateway = spec.users.gateway as { configure: string; write: string; read: string };
    expect(puts[1]).toMatchObject({
      url: '/api/permissions/chat/prod-gateway',
      body: { configure: fill(gateway.configure), write: fill(gateway.write), read: fill(gateway.read) },
    });
    expect(puts.map((c) => c.url)).toContain('/api/permissions/chat/prod-message-router');
    expect(output).not.toMatch(/pw/);
  });

  it('refuses a URL whose user is not the service’s, and reports refused credentials, without passwords', async () => {
    const api = await managementApi();
    const wrong = await run({ ...jobEnv(api.url), AMQP_URL_FEED: 'amqps://guest:guest-pw@rabbit:5671/chat' });
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain('AMQP_URL_FEED names user "guest", expected "prod-feed"');
    expect(wrong.output).not.toMatch(/-pw/);

    const locked = await managementApi(401);
    const refused = await run(jobEnv(locked.url, 'wrong-pw'));
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('refused the admin credentials');
    expect(refused.output).not.toMatch(/-pw/);
  });
});
