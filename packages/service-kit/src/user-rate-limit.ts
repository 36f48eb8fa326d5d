/**
 * Requests per user per service on the HTTP APIs (SPEC §2: 50/s, then 429 with `Retry-After`). Fixed
 * one-second windows counted in Redis by rate-limiter-flexible, so every replica of a service shares a
 * user's budget. A user over the limit is then refused from memory until the window ends (no Redis call
 * per refused request, which is what a flood is made of). When Redis is down or slow, each replica
 * counts on its own in memory (the insurance limiter): limits stay, stricter by nothing and looser by
 * the number of replicas, and the API keeps serving.
 */
import type { Identity } from '@coffeechat/auth';
import type { Redis, RedisOptions } from 'ioredis';
import { Counter } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface UserRateLimitSettings {
  /** `CC_NAMESPACE`: the counters live under `<namespace>:ratelimit:<service>:` */
  namespace: string;
  service: string;
  /** `HTTP_REQUESTS_PER_SEC` */
  perSecond: number;
  /** `HTTP_ADMIN_REQUESTS_PER_SEC`: service and admin callers (`roles: ["admin"]`) create rooms for everyone */
  adminPerSecond: number;
}

export type Admission = { ok: true } | { ok: false; retryAfterSec: number; limit: number };

/**
 * For the limiter's own Redis connection: a command that cannot run at once (disconnected) or within
 * 250 ms fails, and the request is counted by the replica alone instead of waiting.
 */
export const RATE_LIMIT_REDIS_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 250,
};

export class UserRateLimit {
  private readonly users: RateLimiterRedis;
  private readonly admins: RateLimiterRedis;
  private readonly refused: Counter;
  private redisDown = false;

  /** `redis`: a connection of its own, opened with `RATE_LIMIT_REDIS_OPTIONS`; its owner closes it */
  constructor(
    private readonly redis: Redis,
    private readonly settings: UserRateLimitSettings,
    logger: Logger,
    metrics: Metrics,
  ) {
    this.redis.on('error', (err: Error) => {
      if (this.redisDown) return;
      this.redisDown = true;
      logger.warn({ err: err.message }, 'rate limit: Redis unavailable, counting in memory per replica');
    });
    this.redis.on('ready', () => {
      if (this.redisDown) logger.info('rate limit: Redis back, counting across replicas');
      this.redisDown = false;
    });
    const keyPrefix = `${settings.namespace}:ratelimit:${settings.service}`;
    this.users = this.limiter(`${keyPrefix}:user`, settings.perSecond);
    this.admins = this.limiter(`${keyPrefix}:admin`, settings.adminPerSecond);
    this.refused =
      (metrics.registry.getSingleMetric('coffeechat_http_rate_limited_total') as Counter | undefined) ??
      new Counter({
        name: 'coffeechat_http_rate_limited_total',
        help: 'HTTP requests refused with 429 because their user was over HTTP_REQUESTS_PER_SEC',
        registers: [metrics.registry],
      });
  }

  private limiter(keyPrefix: string, points: number): RateLimiterRedis {
    return new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix,
      points,
      duration: 1,
      rejectIfRedisNotReady: true,
      inMemoryBlockOnConsumed: points,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: 1 }),
    });
  }

  /** Counts one request of `caller`; refused with the seconds until their window ends. */
  async admit(caller: Identity): Promise<Admission> {
    const limiter = caller.admin ? this.admins : this.users;
    try {
      await limiter.consume(caller.userId);
      return { ok: true };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      this.refused.inc();
      return {
        ok: false,
        retryAfterSec: Math.max(1, Math.ceil(err.msBeforeNext / 1000)),
        limit: caller.admin ? this.settings.adminPerSecond : this.settings.perSecond,
      };
    }
  }
}
