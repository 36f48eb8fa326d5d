/**
 * Turns "a backend is down" into 503 UNAVAILABLE (SPEC §5) instead of a 500: the client may retry.
 * Added between the routes and service-kit's error handler.
 */
import { HttpProblem } from '@coffeechat/service-kit';
import type { ErrorRequestHandler } from 'express';
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';

const REDIS_DOWN = /Connection is closed|max retries per request|Stream isn't writeable|ECONNREFUSED/i;

export const backendUnavailable: ErrorRequestHandler = (err: unknown, _req, _res, next) => {
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) {
    return next(new HttpProblem('UNAVAILABLE', 'the post store is unavailable; retry later'));
  }
  if (err instanceof Error && REDIS_DOWN.test(err.message)) {
    return next(new HttpProblem('UNAVAILABLE', 'the cache is unavailable; retry later'));
  }
  next(err);
};
