/** Removes a test run's Redis keys (services prefix theirs with the run's namespace). */
import { Redis } from 'ioredis';
import { servers } from './servers.js';

/** Deletes every key matching the glob `pattern` (SCAN, so Redis is never blocked); returns how many. */
export async function deleteRedisKeys(pattern: string, url = servers.redisUrl): Promise<number> {
  const redis = new Redis(url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
