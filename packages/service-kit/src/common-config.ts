/** Settings every service shares (SPEC §2). */
import { type AuthSettings, DEV_JWT_SECRET } from '@coffeechat/auth';
import { ConfigError, type Env, list, oneOf, optionalStr, parseEnv, str, url } from './env.js';

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
}

export const amqpUrl = url('AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']);
export const redisUrl = url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
export const mongoUrl = url('MONGO_URL', 'mongodb://127.0.0.1:27017/coffeechat', ['mongodb:', 'mongodb+srv:']);
export const allowedOrigins = list('ALLOWED_ORIGINS');

export function authSettings(env: Env, production: boolean): AuthSettings {
  const { secret, jwksUrl, issuer, audience } = parseEnv(env, {
    secret: optionalStr('JWT_SECRET'),
    jwksUrl: optionalStr('JWT_JWKS_URL'),
    issuer: optionalStr('JWT_ISSUER'),
    audience: optionalStr('JWT_AUDIENCE'),
  });
  const claims = { ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) };
  if (secret && jwksUrl) throw new ConfigError('JWT_JWKS_URL', 'set either JWT_SECRET or JWT_JWKS_URL, not both');
  if (jwksUrl) {
    url('JWT_JWKS_URL', '', ['https:', 'http:'])(env);
    return { kind: 'jwks', jwksUrl, ...claims };
  }
  const effective = secret ?? DEV_JWT_SECRET;
  if (production && effective === DEV_JWT_SECRET) {
    throw new ConfigError('JWT_SECRET', 'NODE_ENV=production refuses the built-in development secret');
  }
  if (effective.length < 16) throw new ConfigError('JWT_SECRET', 'must be at least 16 characters');
  return { kind: 'secret', secret: effective, ...claims };
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
  };
}
