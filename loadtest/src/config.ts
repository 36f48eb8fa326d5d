/** The environment the bench runs in, read once: where the shared servers are and the JWT secret. */
import { DEV_JWT_SECRET } from '@coffeechat/auth';
import type { InfraUrls } from './stack/coffeechat-stack.js';

export interface BenchConfig {
  infra: InfraUrls;
  jwtSecret: string;
}

export function loadConfig(env: NodeJS.ProcessEnv): BenchConfig {
  return {
    infra: {
      amqp: env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
      redis: env.REDIS_URL || 'redis://127.0.0.1:6379',
      mongo: env.MONGO_URL || 'mongodb://127.0.0.1:27017/coffeechat',
    },
    // the services under test are started with this same secret
    jwtSecret: env.JWT_SECRET || DEV_JWT_SECRET,
  };
}
