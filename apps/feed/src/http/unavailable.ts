/**
 * Turns "a backend is down" into 503 UNAVAILABLE (SPEC §5) instead of a 500: the client may retry. So
 * is a ranked read while Redis's rankings are being rebuilt, with a Retry-After.
 * Added between the routes and service-kit's error handler.
 */
import { HttpProblem } from '@coffeechat/service-kit';
import type { ErrorRequestHandler } from 'express';
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import { RankingsRebuilding } from '../rankings-recovery.js';

const REDIS_DOWN = /Connection is closed|max retries per request|Stream isn't writeable|ECONNREFUSED/i;
/** a rankings rebuild takes seconds (apps/feed/RUNBOOK.md) */
const REBUILDING_RETRY_AFTER_SEC = 2;

export const backendUnavailable: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  if (err instanceof RankingsRebuilding) {
    res.set('retry-after', String(REBUILDING_RETRY_AFTER_SEC));
    return next(new HttpProblem('UNAVAILABLE', err.message));
  }
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) {
    return next(new HttpProblem('UNAVAILABLE', 'the post store is unavailable; retry later'));
  }
  if (err instanceof Error && REDIS_DOWN.test(err.message)) {
    return next(new HttpProblem('UNAVAILABLE', 'the cache is unavailable; retry later'));
  }
  next(err);
};
