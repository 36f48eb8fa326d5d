// One RabbitMQ user per service, created through RabbitMQ's management HTTP API (the Helm chart's hook Job
// and the compose file's one-shot service run it; `npm start` uses scripts/broker-users.mjs, rabbitmqctl).
// Idempotent: a PUT creates or updates a user and its permissions. Plain Node 20, no dependencies.
//
// Environment:
//   RABBITMQ_MANAGEMENT_URL                       e.g. http://rabbitmq:15672
//   RABBITMQ_ADMIN_USERNAME, RABBITMQ_ADMIN_PASSWORD   a user tagged administrator
//   CC_NAMESPACE                                  the stack's namespace (users are <namespace>-<service>)
//   AMQP_URL_GATEWAY, AMQP_URL_MESSAGE_ROUTER, AMQP_URL_PRESENCE, AMQP_URL_FEED
//                                                 each service's URL: its user, password and vhost
//   BROKER_USERS_FILE                             the permissions (default: broker-users.json beside this file)
//   RABBITMQ_WAIT_SEC                             how long to wait for the API to answer (default 120)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const env = process.env;
const fail = (message) => {
  console.error(`broker-users: ${message}`);
  process.exit(1);
};
const required = (name) => env[name] || fail(`${name} is not set`);

const api = new URL(required('RABBITMQ_MANAGEMENT_URL'));
const base = api.href.endsWith('/') ? api.href : `${api.href}/`;
const auth = `Basic ${Buffer.from(`${required('RABBITMQ_ADMIN_USERNAME')}:${required('RABBITMQ_ADMIN_PASSWORD')}`).toString('base64')}`;
const namespace = required('CC_NAMESPACE');
const file = env.BROKER_USERS_FILE || path.join(path.dirname(fileURLToPath(import.meta.url)), 'broker-users.json');
const spec = JSON.parse(readFileSync(file, 'utf8'));
const fill = (text) => text.replaceAll(spec.placeholder, namespace);

async function call(method, route, body) {
  const res = await fetch(new URL(`api/${route}`, base), {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) fail(`${method} /api/${route.split('/')[0]}/…: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
}

async function waitForApi() {
  const deadline = Date.now() + Number(env.RABBITMQ_WAIT_SEC || 120) * 1000;
  for (;;) {
    try {
      const res = await fetch(new URL('api/overview', base), {
        headers: { authorization: auth },
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) return;
      if (res.status === 401) fail('the management API refused the admin credentials (401)');
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) fail(`no answer from the management API at ${api.origin}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

await waitForApi();
for (const [service, u] of Object.entries(spec.users)) {
  const variable = `AMQP_URL_${service.toUpperCase().replaceAll('-', '_')}`;
  let url;
  try {
    url = new URL(required(variable));
  } catch {
    fail(`${variable} is not a URL`);
  }
  const user = decodeURIComponent(url.username);
  if (user !== fill(u.user)) fail(`${variable} names user "${user}", expected "${fill(u.user)}"`);
  const vhost = decodeURIComponent(url.pathname.slice(1)) || '/';
  await call('PUT', `users/${encodeURIComponent(user)}`, { password: decodeURIComponent(url.password), tags: '' });
  await call('PUT', `permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, {
    configure: fill(u.configure),
    write: fill(u.write),
    read: fill(u.read),
  });
  console.log(`broker-users: ${user} on vhost ${vhost}: its own exchanges and queues only`);
}
