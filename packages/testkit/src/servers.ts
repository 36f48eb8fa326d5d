/**
 * Where a test finds RabbitMQ, Redis and the MongoDB-wire server (resolved by scripts/infra.mjs before
 * the run and passed in the environment), and the names that keep each test run apart.
 */
import { randomBytes } from 'node:crypto';
import { ConnectionString } from 'mongodb-connection-string-url';

export const servers = {
  amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/coffeechat',
};

/** A fresh namespace for exchanges, queues and Redis keys: `t<label><random>`. */
export function uniqueNamespace(label = ''): string {
  return `t${label.replace(/[^a-z0-9]/g, '').slice(0, 12)}${randomBytes(4).toString('hex')}`;
}

/** The same connection string (a replica set's seed list too) with another database; one per run. */
export function withMongoDatabase(url: string, database: string): string {
  const parsed = new ConnectionString(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The Mongo URL (a replica set's seed list too) with its database replaced by `database`. */
export function mongoUrlFor(database: string): string {
  return withMongoDatabase(servers.mongoUrl, database);
}

/**
 * The settings that put a service on these servers under `namespace`: its exchanges, queues and Redis keys,
 * and a MongoDB database named after the namespace unless `database` names another.
 */
export function serviceEnv(namespace: string, database = namespace): Record<string, string> {
  return {
    CC_NAMESPACE: namespace,
    AMQP_URL: servers.amqpUrl,
    REDIS_URL: servers.redisUrl,
    MONGO_URL: mongoUrlFor(database),
  };
}
