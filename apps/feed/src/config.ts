/** The feed's settings (SPEC §2), parsed once at start-up. */
import { type CommonConfig, commonConfig, type Env, mongoUrl, oneOf, parseEnv, port } from '@coffeechat/service-kit';

export interface FeedConfig extends CommonConfig {
  port: number;
  mongoUrl: string;
  /** FEED_CACHE=off bypasses every cache (benchmarks compare against it); rankings stay in Redis */
  cache: boolean;
}

export function loadConfig(env: Env): FeedConfig {
  const own = parseEnv(env, {
    port: port('FEED_PORT', 8083),
    mongoUrl,
    cache: oneOf('FEED_CACHE', 'on', ['on', 'off'] as const),
  });
  return { ...commonConfig(env), ...own, cache: own.cache === 'on' };
}
