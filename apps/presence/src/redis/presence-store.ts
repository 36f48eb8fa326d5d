/**
 * Presence state in Redis. Every operation is one script call (one round trip), however many
 * connections a heartbeat lists; the decisions themselves are made inside the scripts (scripts.ts).
 */
import type { VersionedPresence } from '@coffeechat/contracts';
import type { Redis, Result } from 'ioredis';
import type { PresenceTiming } from '../timing.js';
import type { PresenceKeys } from './keys.js';
import {
  decodeCounts,
  decodeHeartbeat,
  decodeOpen,
  decodeRead,
  decodeSweep,
  type HeartbeatOutcome,
  type OpenOutcome,
  type PresenceCounts,
  type SweepOutcome,
} from './replies.js';
import { connectScript, countsScript, disconnectScript, heartbeatScript, readScript, sweepScript } from './scripts.js';

type Arg = string | number;
declare module 'ioredis' {
  interface RedisCommander<Context> {
    presenceConnect(...args: Arg[]): Result<unknown, Context>;
    presenceDisconnect(...args: Arg[]): Result<unknown, Context>;
    presenceHeartbeat(...args: Arg[]): Result<unknown, Context>;
    presenceSweep(...args: Arg[]): Result<unknown, Context>;
    presenceRead(...args: Arg[]): Result<unknown, Context>;
    presenceCounts(...args: Arg[]): Result<unknown, Context>;
  }
}

function definePresenceScripts(redis: Redis): void {
  // EVALSHA with a fallback to EVAL when Redis does not know the script yet (after a restart).
  redis.defineCommand('presenceConnect', { numberOfKeys: 4, lua: connectScript });
  redis.defineCommand('presenceDisconnect', { numberOfKeys: 4, lua: disconnectScript });
  redis.defineCommand('presenceHeartbeat', { numberOfKeys: 4, lua: heartbeatScript });
  redis.defineCommand('presenceSweep', { numberOfKeys: 4, lua: sweepScript });
  redis.defineCommand('presenceRead', { numberOfKeys: 4, lua: readScript });
  redis.defineCommand('presenceCounts', { numberOfKeys: 4, lua: countsScript });
}

export class PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: PresenceKeys,
    private readonly timing: PresenceTiming,
  ) {
    definePresenceScripts(redis);
  }

  /** `at`: when the connection opened, by the gateway's clock. */
  async connect(gatewayId: string, userId: string, connId: string, at: number): Promise<OpenOutcome> {
    const { ttlMs, outboxMax } = this.timing;
    const { shared, prefix } = this.keys;
    return decodeOpen(
      await this.redis.presenceConnect(...shared, prefix, ttlMs, outboxMax, gatewayId, userId, connId, at),
    );
  }

  /** Returns when (Redis ms) the user's offline is due if this was their last connection, else undefined. */
  async disconnect(gatewayId: string, userId: string, connId: string): Promise<number | undefined> {
    const { graceMs, tombstoneMs } = this.timing;
    const { shared, prefix } = this.keys;
    const reply = await this.redis.presenceDisconnect(
      ...shared,
      prefix,
      graceMs,
      tombstoneMs,
      gatewayId,
      userId,
      connId,
    );
    const due = Number(reply);
    return due > 0 ? due : undefined;
  }

  /**
   * Applies one gateway heartbeat: every connection open on the gateway when it built the beat at
   * `at`, as `[userId, connId]` pairs (user and connection ids hold no whitespace: one line each), or
   * part of them when `partial`.
   */
  async heartbeat(
    gatewayId: string,
    at: number,
    conns: ReadonlyArray<readonly [string, string]>,
    partial = false,
  ): Promise<HeartbeatOutcome> {
    const { ttlMs, outboxMax, tombstoneMs, graceMs } = this.timing;
    const { shared, prefix } = this.keys;
    const lines = conns.map(([userId, connId]) => `${userId} ${connId}`).join('\n');
    const reply = await this.redis.presenceHeartbeat(
      ...shared,
      prefix,
      ttlMs,
      outboxMax,
      tombstoneMs,
      graceMs,
      gatewayId,
      at,
      lines,
      partial ? 1 : 0,
    );
    return decodeHeartbeat(reply);
  }

  /**
   * One bounded sweep step; `more` says another step has work right away. `expire` false handles only
   * due offlines, not dead gateways (see catch-up.ts).
   */
  async sweep(expire = true): Promise<SweepOutcome> {
    const { ttlMs, keepUserMs, outboxMax, sweepLimit } = this.timing;
    const { shared, prefix } = this.keys;
    const reply = await this.redis.presenceSweep(
      ...shared,
      prefix,
      ttlMs,
      keepUserMs,
      outboxMax,
      sweepLimit,
      expire ? 1 : 0,
    );
    return decodeSweep(reply);
  }

  async read(userIds: readonly string[]): Promise<Map<string, VersionedPresence>> {
    if (userIds.length === 0) return new Map();
    return decodeRead(userIds, await this.redis.presenceRead(...this.keys.shared, this.keys.prefix, ...userIds));
  }

  async counts(): Promise<PresenceCounts> {
    return decodeCounts(await this.redis.presenceCounts(...this.keys.shared, this.keys.prefix));
  }
}
