/** The five deployables and their ports (SPEC §2), as the deploy files must carry them. */
export interface ServiceFacts {
  /** directory under apps/ and name of the image, the Helm component and the compose service */
  name: string;
  packageName: string;
  portVariable: string;
  port: number;
  /** checks tokens, so it needs the JWT secret (the web app's server verifies none: it gets no key) */
  verifiesTokens: boolean;
  /**
   * workspace packages its build bundles though they are no runtime dependency (the browser app's SDK):
   * the Dockerfile installs and builds them for this service by name
   */
  bundles: readonly string[];
}

const service = (name: string, portVariable: string, port: number): ServiceFacts => ({
  name,
  packageName: `@coffeechat/${name}`,
  portVariable,
  port,
  verifiesTokens: true,
  bundles: [],
});

export const SERVICES: readonly ServiceFacts[] = [
  service('gateway', 'GATEWAY_PORT', 8080),
  service('message-router', 'ROUTER_PORT', 8081),
  service('presence', 'PRESENCE_PORT', 8082),
  service('feed', 'FEED_PORT', 8083),
  // the browser app (SPEC §6): the services' CORS and WebSocket origin check must let its pages in
  { ...service('web', 'WEB_PORT', 8084), verifiesTokens: false, bundles: ['@coffeechat/client'] },
];

/** The base image the uWebSockets.js binary needs (glibc, Node ABI 115). */
export const NODE_IMAGE = 'node:20-bookworm-slim';

/** Which connection settings a service needs, from the client libraries it depends on. */
export const SERVER_CLIENTS: Readonly<Record<string, string>> = {
  amqplib: 'AMQP_URL',
  ioredis: 'REDIS_URL',
  mongodb: 'MONGO_URL',
};
