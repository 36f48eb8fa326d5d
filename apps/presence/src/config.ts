/** The presence service's settings, parsed once from the environment (SPEC §2). */
import { type CommonConfig, commonConfig, type Env, int, parseEnv, port } from '@coffeechat/service-kit';

export interface PresenceConfig extends CommonConfig {
  port: number;
  /** a connection not refreshed by a heartbeat for this long is gone (its gateway died) */
  ttlSec: number;
  /** how long the last clean close waits before `offline`, so a quick reconnect does not flap */
  graceMs: number;
}

export function loadConfig(env: Env): PresenceConfig {
  return {
    ...commonConfig(env),
    ...parseEnv(env, {
      port: port('PRESENCE_PORT', 8082),
      ttlSec: int('PRESENCE_TTL_SEC', 30, { min: 2, max: 3600 }),
      // SPEC §5 wants both "offline within 1 s of a clean close" and "no flap on a reconnect within a
      // second": they meet at 1 s, so the grace leaves 0.4 s for the hops (gateway → presence → gateway).
      graceMs: int('PRESENCE_GRACE_MS', 600, { min: 0, max: 900 }),
    }),
  };
}
