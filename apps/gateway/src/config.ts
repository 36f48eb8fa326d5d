/** The gateway's settings (SPEC §2), parsed once at start-up; nothing else reads `process.env`. */
import { randomBytes } from 'node:crypto';
import { Limits } from '@coffeechat/contracts';
import {
  type CommonConfig,
  ConfigError,
  commonConfig,
  type Env,
  int,
  optionalStr,
  parseEnv,
  port,
} from '@coffeechat/service-kit';

export interface GatewayConfig extends CommonConfig {
  port: number;
  /** names this process's own queue; unique per running gateway */
  gatewayId: string;
  partitions: number;
  /** clients are told to ping at this interval; a socket silent for twice as long is closed */
  heartbeatSec: number;
  /** bytes a socket may have waiting to be written before it counts as a slow reader and is closed */
  sendBufferBytes: number;
  /** largest frame uWS buffers; frames above `Limits.maxFrameBytes` but below this get a 1009 close handshake */
  maxReadBytes: number;
  sendsPerSecond: number;
  typingPerSecond: number;
  /** how long a join waits for the router, and a send for the broker's confirm */
  brokerTimeoutMs: number;
  /** sends published and awaiting their ack over all connections; more are answered UNAVAILABLE at once */
  maxSendsInFlight: number;
  /** how long a NOT_A_MEMBER answer is remembered per (room, user) */
  membershipCacheMs: number;
  /** presence's TTL: the gateway sends its heartbeat every third of it */
  presenceTtlSec: number;
}

export function loadConfig(env: Env): GatewayConfig {
  const common = commonConfig(env);
  const own = parseEnv(env, {
    port: port('GATEWAY_PORT', 8080),
    gatewayId: optionalStr('GATEWAY_ID'),
    partitions: int('ROUTER_PARTITIONS', 16, { min: 1, max: 1024 }),
    heartbeatSec: int('GATEWAY_HEARTBEAT_SEC', 25, { min: 4, max: 300 }),
    sendBufferBytes: int('GATEWAY_SEND_BUFFER_BYTES', 1024 * 1024, { min: 16 * 1024, max: 256 * 1024 * 1024 }),
    maxReadBytes: int('GATEWAY_MAX_READ_BYTES', 1024 * 1024, { min: Limits.maxFrameBytes + 1, max: 64 * 1024 * 1024 }),
    sendsPerSecond: int('GATEWAY_SENDS_PER_SEC', Limits.sendsPerSecond, { min: 1, max: 100_000 }),
    typingPerSecond: int('GATEWAY_TYPING_PER_SEC', Limits.typingPerSecond, { min: 1, max: 100_000 }),
    brokerTimeoutMs: int('GATEWAY_BROKER_TIMEOUT_MS', 5000, { min: 100, max: 60_000 }),
    maxSendsInFlight: int('GATEWAY_MAX_SENDS_IN_FLIGHT', 5000, { min: 1, max: 1_000_000 }),
    membershipCacheMs: int('GATEWAY_MEMBERSHIP_CACHE_MS', 5000, { min: 0, max: 600_000 }),
    presenceTtlSec: int('PRESENCE_TTL_SEC', 30, { min: 2, max: 3600 }),
  });
  const gatewayId = own.gatewayId ?? `gw-${randomBytes(6).toString('hex')}`;
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(gatewayId)) {
    throw new ConfigError('GATEWAY_ID', 'letters, digits, _ . : - (at most 64)');
  }
  return { ...common, ...own, gatewayId };
}
