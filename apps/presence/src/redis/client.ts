/** A Redis connection that reconnects on its own and fails commands fast while Redis is down. */
import type { Logger } from '@coffeechat/service-kit';
import { Redis } from 'ioredis';

export function createRedis(url: string, logger: Logger, name: string): Redis {
  const redis = new Redis(url, { connectionName: name, maxRetriesPerRequest: 2 });
  let down = false;
  redis.on('ready', () => {
    if (down) logger.info({ name }, 'redis reconnected');
    down = false;
  });
  redis.on('error', (err: Error) => {
    if (!down) logger.warn({ name, err: err.message }, 'redis connection error');
    down = true;
  });
  return redis;
}
