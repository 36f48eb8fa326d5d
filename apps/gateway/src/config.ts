/** The gateway's settings (SPEC §2), parsed once at start-up; nothing else reads `process.env`. */
import { randomBytes } from 'node:crypto';
import { GatewayIdPattern, Limits } from '@coffeechat/contracts';
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
import { openFilesLimit } from './open-files.js';

/** Files the gateway keeps for itself and for upgrades being refused, below the open-files limit. */
const OWN_FILES = 256;

function defaultMaxConnections(): number {
  const limit = openFilesLimit();
  return limit === undefined ? 1_000_000 : Math.max(1, limit - OWN_FILES);
}

export interface GatewayConfig extends CommonConfig {
  port: number;
  /** names this process's own queue; unique per running gateway */
  gatewayId: string;
  partitions: number;
  /** clients are told to ping at this interval; a socket silent for twice as long is closed */
  heartbeatSec: number;
  /** bytes a socket may have waiting to be written before it counts as a slow reader and is closed */
  sendBufferBytes: number;
  /**
   * largest frame uWS buffers per socket; frames above `Limits.maxFrameBytes` but below this get a 1009
   * closing handshake, larger ones make uWS drop the connection (it buffers a frame whole before we see it)
   */
  maxReadBytes: number;
  sendsPerSecond: number;
  typingPerSecond: number;
  /** joins and leaves together, per connection */
  joinsPerSecond: number;
  readsPerSecond: number;
  /** rooms a connection may have joined or be joining at once */
  roomsPerConnection: number;
  /** open WebSockets per user on this gateway; the next upgrade gets 429 */
  connectionsPerUser: number;
  /** open WebSockets per client address on this gateway (0: no bound; behind a proxy every client shares its address) */
  connectionsPerIp: number;
  /** open WebSockets on this gateway; the next upgrade gets 503 and /readyz turns 503 (below the open-files limit) */
  maxConnections: number;
  /** a connection whose token expired is closed with 4001 this long after `exp` unless refreshed */
  tokenGraceSec: number;
  /** how long a join waits for the router, and a send for the broker's confirm */
  brokerTimeoutMs: number;
  /** sends held or published and awaiting their ack over all connections; more are answered UNAVAILABLE at once */
  maxSendsInFlight: number;
  /**
   * how long a send is held while the broker is away (published once the room bindings are restored),
   * then answered UNAVAILABLE; below the SDK's 10 s ack timeout, so a held send is answered before the
   * client gives up on it; 0: answered UNAVAILABLE at once
   */
  sendHoldMs: number;
  /** how long a NOT_A_MEMBER answer is remembered per (room, user) */
  membershipCacheMs: number;
  /** how long the gateway's queue stays bound to a room or a watched user nobody here wants any more */
  bindingLingerMs: number;
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
    maxReadBytes: int('GATEWAY_MAX_READ_BYTES', 2 * Limits.maxFrameBytes, {
      min: Limits.maxFrameBytes + 1,
      max: 64 * 1024 * 1024,
    }),
    sendsPerSecond: int('GATEWAY_SENDS_PER_SEC', Limits.sendsPerSecond, { min: 1, max: 100_000 }),
    typingPerSecond: int('GATEWAY_TYPING_PER_SEC', Limits.typingPerSecond, { min: 1, max: 100_000 }),
    joinsPerSecond: int('GATEWAY_JOINS_PER_SEC', Limits.joinsPerSecond, { min: 1, max: 100_000 }),
    readsPerSecond: int('GATEWAY_READS_PER_SEC', Limits.readsPerSecond, { min: 1, max: 100_000 }),
    roomsPerConnection: int('GATEWAY_ROOMS_PER_CONNECTION', Limits.roomsPerConnection, { min: 1, max: 100_000 }),
    connectionsPerUser: int('GATEWAY_CONNECTIONS_PER_USER', Limits.connectionsPerUser, { min: 1, max: 1_000_000 }),
    connectionsPerIp: int('GATEWAY_CONNECTIONS_PER_IP', 0, { min: 0, max: 10_000_000 }),
    maxConnections: int('GATEWAY_MAX_CONNECTIONS', defaultMaxConnections(), { min: 1, max: 10_000_000 }),
    tokenGraceSec: int('TOKEN_GRACE_SEC', Limits.tokenGraceSec, { min: 0, max: 3600 }),
    brokerTimeoutMs: int('GATEWAY_BROKER_TIMEOUT_MS', 5000, { min: 100, max: 60_000 }),
    maxSendsInFlight: int('GATEWAY_MAX_SENDS_IN_FLIGHT', 5000, { min: 1, max: 1_000_000 }),
    sendHoldMs: int('GATEWAY_SEND_HOLD_MS', 7000, { min: 0, max: 30_000 }),
    membershipCacheMs: int('GATEWAY_MEMBERSHIP_CACHE_MS', 5000, { min: 0, max: 600_000 }),
    bindingLingerMs: int('GATEWAY_BINDING_LINGER_MS', 30_000, { min: 0, max: 600_000 }),
    presenceTtlSec: int('PRESENCE_TTL_SEC', 30, { min: 2, max: 3600 }),
  });
  const gatewayId = own.gatewayId ?? `gw-${randomBytes(6).toString('hex')}`;
  if (!GatewayIdPattern.test(gatewayId)) {
    throw new ConfigError('GATEWAY_ID', 'letters, digits, _ . : - (at most 64)');
  }
  return { ...common, ...own, gatewayId };
}
