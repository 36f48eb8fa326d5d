/**
 * Vitest global set-up: `vitest run --globalSetup packages/testkit/dist/global-setup.js` starts the test
 * servers in containers when a Docker engine answers and hands their URLs to every test (and to the
 * services the tests start) through AMQP_URL, REDIS_URL and MONGO_URL. Without Docker it changes nothing.
 */
import { startTestServers } from './containers.js';

export default async function setup(): Promise<() => Promise<void>> {
  const servers = await startTestServers();
  if (servers.source === 'docker') {
    process.env.AMQP_URL = servers.urls.amqp;
    process.env.REDIS_URL = servers.urls.redis;
    process.env.MONGO_URL = servers.urls.mongo;
    console.log(`[testkit] test servers in containers: ${Object.values(servers.urls).join('  ')}`);
  }
  return servers.stop;
}
