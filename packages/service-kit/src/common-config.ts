/** Settings every service shares (SPEC §2). */
import { type AuthSettings, AuthSettingsError, DEFAULT_TOKEN_POLICY, resolveAuthSettings } from '@coffeechat/auth';
import { Limits } from '@coffeechat/contracts';
import { ConfigError, type Env, int, list, oneOf, optionalStr, parseEnv, str, url } from './env.js';
import { mongoUrlField } from './mongo-url.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface CommonConfig {
  production: boolean;
  logLevel: LogLevel;
  /** prefix of every exchange, queue and Redis key, so stacks and test runs can share servers */
  namespace: string;
  amqpUrl: string;
  auth: AuthSettings;
  /** origins whose pages may use the APIs and the WebSocket (`ALLOWED_ORIGINS`); empty = any */
  allowedOrigins: string[];
  /** Redis: presence's and the feed's store, and where every HTTP API counts requests per user */
  redisUrl: string;
  /** requests per user and second on this service's HTTP API (SPEC §2), for users and for admins */
  httpLimits: { perSecond: number; adminPerSecond: number };
}

export const amqpUrl = url('AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']);
export const redisUrl = url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
export const mongoUrl = mongoUrlField('MONGO_URL', 'mongodb://127.0.0.1:27017/coffeechat');
export const allowedOrigins = list('ALLOWED_ORIGINS');

/** The token settings of SPEC §2–§3; `resolveAuthSettings` (packages/auth) holds the rules. */
export function authSettings(env: Env, production: boolean): AuthSettings {
  const choice = parseEnv(env, {
    secret: optionalStr('JWT_SECRET'),
    jwksUrl: optionalStr('JWT_JWKS_URL'),
    devSecret: oneOf('JWT_DEV_SECRET', '0', ['0', '1'] as const),
    issuer: optionalStr('JWT_ISSUER'),
    audience: optionalStr('JWT_AUDIENCE'),
    maxAgeSec: int('JWT_MAX_AGE_SEC', DEFAULT_TOKEN_POLICY.maxAgeSec, { min: 60, max: 30 * 24 * 3600 }),
    clockToleranceSec: int('JWT_CLOCK_TOLERANCE_SEC', DEFAULT_TOKEN_POLICY.clockToleranceSec, { min: 0, max: 300 }),
  });
  try {
    return resolveAuthSettings(
      {
        ...choice,
        devSecret: choice.devSecret === '1',
        policy: { maxAgeSec: choice.maxAgeSec, clockToleranceSec: choice.clockToleranceSec },
      },
      { production },
    );
  } catch (err) {
    if (err instanceof AuthSettingsError) throw new ConfigError(err.variable, err.message);
    throw err;
  }
}

export function commonConfig(env: Env): CommonConfig {
  const production = env.NODE_ENV === 'production';
  const namespace = str('CC_NAMESPACE', 'coffeechat')(env);
  if (!/^[a-z0-9][a-z0-9_-]{0,40}$/.test(namespace)) {
    throw new ConfigError('CC_NAMESPACE', 'lower-case letters, digits, - and _ (at most 41)');
  }
  return {
    production,
    logLevel: oneOf('LOG_LEVEL', 'info', LOG_LEVELS)(env),
    namespace,
    amqpUrl: amqpUrl(env),
    auth: authSettings(env, production),
    allowedOrigins: allowedOrigins(env),
    redisUrl: redisUrl(env),
    httpLimits: {
      perSecond: int('HTTP_REQUESTS_PER_SEC', Limits.httpRequestsPerSecond, { min: 1, max: 1_000_000 })(env),
      adminPerSecond: int('HTTP_ADMIN_REQUESTS_PER_SEC', Limits.httpAdminRequestsPerSecond, { min: 1, max: 1_000_000 })(
        env,
      ),
    },
  };
}
