/**
 * Where a test finds RabbitMQ, Redis and the MongoDB-wire server (resolved by scripts/infra.mjs before
 * the run and passed in the environment), and the names that keep each test run apart.
 */
import { randomBytes } from 'node:crypto';

export const servers = {
  amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/coffeechat',
};

/** A fresh namespace for exchanges, queues and Redis keys: `t<label><random>`. */
export function uniqueNamespace(label = ''): string {
  return `t${label.replace(/[^a-z0-9]/g, '').slice(0, 12)}${randomBytes(4).toString('hex')}`;
}

/** The Mongo URL with its database replaced by `database`. */
export function mongoUrlFor(database: string): string {
  const url = new URL(servers.mongoUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
