/**
 * The express side every service shares: JSON parsing with the SPEC error envelope, bearer-token
 * authentication, boundary validation, `/healthz`, `/readyz`, `/metrics`, and the error handler.
 */

import type { Server } from 'node:http';
import type { Identity, Verifier } from '@coffeechat/auth';
import { AuthError, bearerToken } from '@coffeechat/auth';
import { type ErrorBody, validator } from '@coffeechat/contracts';
import type { Static, TSchema } from '@sinclair/typebox';
import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { corsFor } from './cors.js';
import { HttpProblem } from './http-problem.js';
import type { Logger } from './logger.js';
import { type Metrics, registerReadiness } from './metrics.js';
import type { UserRateLimit } from './user-rate-limit.js';

const identities = new WeakMap<Request, Identity>();

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  /** true while the broker/store/cache connections the service needs are up */
  ready: () => boolean;
  /** origins whose pages may call the API (CORS); empty = any */
  allowedOrigins: readonly string[];
  bodyLimit?: string;
}

export function createHttpApp({ metrics, ready, allowedOrigins, bodyLimit = '64kb' }: HttpAppOptions): express.Express {
  registerReadiness(metrics, ready);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // First, so preflight requests are answered before authentication and body parsing.
  app.use(corsFor(allowedOrigins));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const ok = ready();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(express.json({ limit: bodyLimit, strict: true, type: () => true }));
  return app;
}

export function sendProblem(res: Response, problem: HttpProblem): void {
  const body: ErrorBody = {
    error: {
      code: problem.code,
      message: problem.message,
      ...(problem.field ? { field: problem.field } : {}),
    },
  };
  res.status(problem.status).json(body);
}

/** Must be added after the routes: unknown routes → 404, thrown problems → their envelope. */
export function finishHttpApp(app: express.Express, logger: Logger): void {
  app.use((_req, res) => sendProblem(res, new HttpProblem('NOT_FOUND', 'no such route')));
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    if (err instanceof HttpProblem) return sendProblem(res, err);
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed')
      return sendProblem(res, new HttpProblem('BAD_REQUEST', 'body is not valid JSON'));
    if (e.type === 'entity.too.large') return sendProblem(res, new HttpProblem('BAD_REQUEST', 'body too large'));
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendProblem(res, new HttpProblem('BAD_REQUEST', e.message ?? 'bad request'));
    }
    logger.error({ err }, 'request failed');
    sendProblem(res, new HttpProblem('INTERNAL', 'internal error'));
  };
  app.use(onError);
}

/**
 * Requires a valid bearer token; `identityOf(req)` gives the caller after it. With `limit`, a caller over
 * their requests per second gets 429 with `Retry-After` (SPEC §2, §5).
 */
export function requireAuth(verify: Verifier, limit?: UserRateLimit): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return next(new HttpProblem('UNAUTHORIZED', 'missing bearer token'));
    verify(token)
      .then(async (identity) => {
        identities.set(req, identity);
        const admission = limit ? await limit.admit(identity) : { ok: true as const };
        if (admission.ok) return next();
        res.set('retry-after', String(admission.retryAfterSec));
        next(new HttpProblem('RATE_LIMITED', `more than ${admission.limit} requests per second`));
      })
      .catch((err: unknown) => next(err instanceof AuthError ? new HttpProblem('UNAUTHORIZED', err.message) : err));
  };
}

export function identityOf(req: Request): Identity {
  const identity = identities.get(req);
  if (!identity) throw new HttpProblem('UNAUTHORIZED', 'missing bearer token');
  return identity;
}

export function requireAdmin(req: Request): Identity {
  const identity = identityOf(req);
  if (!identity.admin) throw new HttpProblem('FORBIDDEN', 'admin role required');
  return identity;
}

/** Validates one part of the request against a contracts schema; 400 names the field. */
export function parsePart<S extends TSchema>(schema: S) {
  const v = validator(schema);
  return (value: unknown, where: 'body' | 'query' | 'params'): Static<S> => {
    const result = v.validate(value ?? {});
    if (!result.ok) throw new HttpProblem('BAD_REQUEST', `${where}.${result.message}`, result.field);
    return result.value;
  };
}

/** Wraps an async handler so a rejection reaches the error handler. */
export const handle =
  (fn: (req: Request, res: Response) => Promise<void> | void) =>
  (req: Request, res: Response, next: NextFunction): void => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch(next);
  };

export function listen(app: express.Express, port: number, host = '0.0.0.0'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.keepAliveTimeout = 5000;
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 8000).unref();
  });
}
