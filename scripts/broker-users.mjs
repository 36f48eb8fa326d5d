// One RabbitMQ user per service on the local broker (least privilege, docs/security.md), created and kept
// up to date with rabbitmqctl, idempotently: users that exist keep their password when it still works,
// permissions are set only where they differ. The patterns come from deploy/rabbitmq/broker-users.json,
// generated from packages/contracts (plain JSON: this runs before anything is built).
//
//   node scripts/broker-users.mjs create <namespace> [amqpUrl]   prints {"<service>": "<its AMQP URL>"}
//   node scripts/broker-users.mjs delete <namespace>
//
// `npm start` calls `ensureBrokerUsers`; tests call the command line on their own namespace.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

/** The users and patterns of deploy/rabbitmq/broker-users.json for one namespace. */
export function brokerUsers(namespace) {
  const file = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'rabbitmq', 'broker-users.json'), 'utf8'));
  const fill = (text) => text.replaceAll(file.placeholder, namespace);
  return Object.fromEntries(
    Object.entries(file.users).map(([service, u]) => [
      service,
      { user: fill(u.user), configure: fill(u.configure), write: fill(u.write), read: fill(u.read) },
    ]),
  );
}

async function ctl(...args) {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
  return stdout;
}

const listJson = async (...args) => JSON.parse((await ctl(...args, '--formatter', 'json')) || '[]');

/** Whether rabbitmqctl can talk to the local node (installed, and allowed: root or the rabbitmq user). */
export async function canManageBroker() {
  try {
    await ctl('list_vhosts');
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure each service's user exists with the password in `passwords` (a new one for those missing
 * from it) and exactly its permissions on `vhost`; returns each service's AMQP URL (`amqpUrl` with that
 * user) and the passwords used.
 */
export async function ensureBrokerUsers({ namespace, amqpUrl, vhost = vhostOf(amqpUrl), passwords = {} }) {
  const users = brokerUsers(namespace);
  const existing = new Set((await listJson('list_users')).map((u) => u.user));
  const granted = new Map((await listJson('list_permissions', '-p', vhost)).map((p) => [p.user, p]));
  // one user after the other would cost a rabbitmqctl start (about a second) per step: all at once
  const ensured = await Promise.all(
    Object.entries(users).map(async ([service, u]) => {
      let password = passwords[service];
      if (!existing.has(u.user)) {
        password ??= randomBytes(18).toString('hex');
        await ctl('add_user', u.user, password);
      } else if (!password || !(await authenticates(u.user, password))) {
        password = randomBytes(18).toString('hex');
        await ctl('change_password', u.user, password);
      }
      const now = granted.get(u.user);
      if (!now || now.configure !== u.configure || now.write !== u.write || now.read !== u.read) {
        await ctl('set_permissions', '-p', vhost, u.user, u.configure, u.write, u.read);
      }
      const url = new URL(amqpUrl);
      url.username = u.user;
      url.password = password;
      return [service, url.toString(), password];
    }),
  );
  const urls = Object.fromEntries(ensured.map(([service, url]) => [service, url]));
  const used = Object.fromEntries(ensured.map(([service, , password]) => [service, password]));
  return { urls, passwords: used };
}

async function authenticates(user, password) {
  try {
    await ctl('authenticate_user', user, password);
    return true;
  } catch {
    return false;
  }
}

export async function deleteBrokerUsers(namespace) {
  for (const u of Object.values(brokerUsers(namespace))) await ctl('delete_user', u.user).catch(() => undefined);
}

/** The vhost of an AMQP URL: its path, `/` when empty. */
export function vhostOf(amqpUrl) {
  const vhost = decodeURIComponent(new URL(amqpUrl).pathname.slice(1));
  return vhost === '' ? '/' : vhost;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, namespace, amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'] =
    process.argv.slice(2);
  if (!namespace || !['create', 'delete'].includes(command)) {
    console.error('usage: node scripts/broker-users.mjs create|delete <namespace> [amqpUrl]');
    process.exit(2);
  }
  if (command === 'create') console.log(JSON.stringify((await ensureBrokerUsers({ namespace, amqpUrl })).urls));
  else await deleteBrokerUsers(namespace);
}
