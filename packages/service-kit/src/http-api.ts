/**
 * A service's HTTP API started in one call: the shared app (`createHttpApp`: CORS, health, readiness,
 * metrics, JSON), the service's routes, the error envelope (`finishHttpApp`), listening on `port` (0 =
 * any free port, for tests), and a graceful close.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import { closeServer, createHttpApp, finishHttpApp, type HttpAppOptions, listen } from './http.js';

export interface HttpApiOptions extends HttpAppOptions {
  port: number;
  /** adds the service's routes (and any error handler of its own) */
  routes(app: express.Express): void;
}

export interface HttpApi {
  server: Server;
  /** the port it listens on */
  port: number;
  /** stops accepting, lets requests in hand finish */
  close(): Promise<void>;
}

export async function startHttpApi({ port, routes, ...options }: HttpApiOptions): Promise<HttpApi> {
  const app = createHttpApp(options);
  routes(app);
  finishHttpApp(app, options.logger);
  const server = await listen(app, port);
  return { server, port: (server.address() as AddressInfo).port, close: () => closeServer(server) };
}
