/** The router's settings (SPEC §2), parsed once at start-up; nothing else reads `process.env`. */
import { Limits } from '@coffeechat/contracts';
import { type CommonConfig, commonConfig, type Env, int, mongoUrl, parseEnv, port } from '@coffeechat/service-kit';

export interface RouterConfig extends CommonConfig {
  port: number;
  mongoUrl: string;
  partitions: number;
  roomMaxMembers: number;
  /** unacked inbound deliveries per partition: one batch in flight while the next one gathers */
  prefetch: number;
  /** a batch closes on the next tick or at this many messages (`ROUTER_BATCH_MAX`; 1 = one store call per message) */
  batchMax: number;
}

export function loadConfig(env: Env): RouterConfig {
  return {
    ...commonConfig(env),
    ...parseEnv(env, {
      port: port('ROUTER_PORT', 8081),
      mongoUrl,
      partitions: int('ROUTER_PARTITIONS', 16, { min: 1, max: 1024 }),
      roomMaxMembers: int('ROOM_MAX_MEMBERS', Limits.roomMaxMembersDefault, { min: 1, max: 64 }),
      batchMax: int('ROUTER_BATCH_MAX', 100, { min: 1, max: 1000 }),
    }),
    prefetch: 200,
  };
}
