/**
 * A service's HTTP API started in one call: the shared app (`createHttpApp`: CORS, health, readiness,
 * metrics, JSON), authentication with the requests-per-user limit counted in Redis across the service's
 * replicas (SPEC §2), the service's routes, the error envelope (`finishHttpApp`), listening on `port`
 * (0 = any free port, for tests), and a graceful close.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Verifier } from '@coffeechat/auth';
import type express from 'express';
import { Redis } from 'ioredis';
import type { CommonConfig } from './common-config.js';
import { closeServer, createHttpApp, finishHttpApp, type HttpAppOptions, listen, requireAuth } from './http.js';
import { RATE_LIMIT_REDIS_OPTIONS, UserRateLimit } from './user-rate-limit.js';

export interface HttpApiAuth {
  verify: Verifier;
  /** the service, as the limiter's keys and connection name it */
  service: string;
  config: Pick<CommonConfig, 'redisUrl' | 'namespace' | 'httpLimits'>;
}

export interface HttpApiOptions extends HttpAppOptions {
  port: number;
  auth: HttpApiAuth;
  /** adds the service's routes (and any error handler of its own); `auth` checks the token and the limit */
  routes(app: express.Express, auth: express.RequestHandler): void;
}

export interface HttpApi {
  server: Server;
  /** the port it listens on */
  port: number;
  /** stops accepting, lets requests in hand finish */
  close(): Promise<void>;
}

export async function startHttpApi({ port, auth, routes, ...options }: HttpApiOptions): Promise<HttpApi> {
  const { redisUrl, namespace, httpLimits } = auth.config;
  // a connection of its own: the limiter fails fast when Redis is slow (RATE_LIMIT_REDIS_OPTIONS)
  const limitRedis = new Redis(redisUrl, { ...RATE_LIMIT_REDIS_OPTIONS, connectionName: `${auth.service}-limit` });
  const limit = new UserRateLimit(
    limitRedis,
    { namespace, service: auth.service, ...httpLimits },
    options.logger,
    options.metrics,
  );
  const app = createHttpApp(options);
  routes(app, requireAuth(auth.verify, limit));
  finishHttpApp(app, options.logger);
  const server = await listen(app, port);
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await closeServer(server);
      limitRedis.disconnect();
    },
  };
}
