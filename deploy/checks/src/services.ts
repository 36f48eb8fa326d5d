/** The four deployables and their ports (SPEC §2), as the deploy files must carry them. */
export interface ServiceFacts {
  /** directory under apps/ and name of the image, the Helm component and the compose service */
  name: string;
  packageName: string;
  portVariable: string;
  port: number;
}

export const SERVICES: readonly ServiceFacts[] = [
  { name: 'gateway', packageName: '@coffeechat/gateway', portVariable: 'GATEWAY_PORT', port: 8080 },
  { name: 'message-router', packageName: '@coffeechat/message-router', portVariable: 'ROUTER_PORT', port: 8081 },
  { name: 'presence', packageName: '@coffeechat/presence', portVariable: 'PRESENCE_PORT', port: 8082 },
  { name: 'feed', packageName: '@coffeechat/feed', portVariable: 'FEED_PORT', port: 8083 },
];

/** The base image the uWebSockets.js binary needs (glibc, Node ABI 115). */
export const NODE_IMAGE = 'node:20-bookworm-slim';

/** Which connection settings a service needs, from the client libraries it depends on. */
export const SERVER_CLIENTS: Readonly<Record<string, string>> = {
  amqplib: 'AMQP_URL',
  ioredis: 'REDIS_URL',
  mongodb: 'MONGO_URL',
};
