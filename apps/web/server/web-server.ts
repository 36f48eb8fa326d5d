/**
 * The web app's server: the static build (with the single-page fallback), `/config.json` telling the
 * page where the services are, `/dev/token` while the development secret is in use, and the
 * `/healthz`, `/readyz`, `/metrics` every service has. Its pages carry a Content-Security-Policy that
 * lets them connect only to those services. The browser calls the services directly (CORS).
 */
import type { Server } from 'node:http';
import path from 'node:path';
import { closeServer, createHttpApp, createMetrics, finishHttpApp, type Logger, listen } from '@coffeechat/service-kit';
import express from 'express';
import type { WebConfig } from './config.js';
import { devTokenRoutes } from './dev-tokens.js';
import { securityHeaders } from './security-headers.js';

export interface WebServer {
  port: number;
  close(): Promise<void>;
}

export async function startWebServer(config: WebConfig, publicDir: string, logger: Logger): Promise<WebServer> {
  const app = createHttpApp({
    logger,
    metrics: createMetrics('web'),
    ready: () => true,
    allowedOrigins: config.allowedOrigins,
  });
  app.use(securityHeaders(config.apis));
  app.get('/config.json', (_req, res) => {
    res.set('cache-control', 'no-store').json({ ...config.apis, devSignIn: config.devTokens });
  });
  if (config.devTokens && config.auth?.kind === 'secret') app.use(devTokenRoutes(config.auth));
  // Hashed file names under /assets never change; index.html must be revalidated to pick up a new build.
  app.use(
    express.static(publicDir, {
      index: false,
      setHeaders: (res, file) =>
        res.setHeader(
          'cache-control',
          file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        ),
    }),
  );
  // Client-side routes (/rooms/…, /posts/…) all load the app; paths with a file extension stay 404s.
  app.get(/^\/(?!.*\.[a-z0-9]+$).*/i, (_req, res) => {
    res.set('cache-control', 'no-cache').sendFile(path.join(publicDir, 'index.html'));
  });
  finishHttpApp(app, logger);
  const server: Server = await listen(app, config.port);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, devSignIn: config.devTokens }, 'web app listening');
  return { port, close: () => closeServer(server) };
}
