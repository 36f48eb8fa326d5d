/**
 * Presence state in Redis. Every operation is one script call (one round trip), however many
 * connections a heartbeat lists; the decisions themselves are made inside the scripts (scripts.ts).
 */
import type { VersionedPresence } from '@coffeechat/contracts';
import type { Redis, Result } from 'ioredis';
import type { PresenceTiming } from '../timing.js';
import type { PresenceKeys } from './keys.js';
import {
  decodeHeartbeat,
  decodeRead,
  decodeSweep,
  decodeTouch,
  type HeartbeatOutcome,
  type SweepOutcome,
  type TouchOutcome,
} from './replies.js';
import { connectScript, disconnectScript, heartbeatScript, readScript, sweepScript } from './scripts.js';

type Arg = string | number;
declare module 'ioredis' {
  interface RedisCommander<Context> {
    presenceConnect(...args: Arg[]): Result<unknown, Context>;
    presenceDisconnect(...args: Arg[]): Result<unknown, Context>;
    presenceHeartbeat(...args: Arg[]): Result<unknown, Context>;
    presenceSweep(...args: Arg[]): Result<unknown, Context>;
    presenceRead(...args: Arg[]): Result<unknown, Context>;
  }
}

export function definePresenceScripts(redis: Redis): void {
  // EVALSHA with a fallback to EVAL when Redis does not know the script yet (after a restart).
  redis.defineCommand('presenceConnect', { numberOfKeys: 4, lua: connectScript });
  redis.defineCommand('presenceDisconnect', { numberOfKeys: 4, lua: disconnectScript });
  redis.defineCommand('presenceHeartbeat', { numberOfKeys: 4, lua: heartbeatScript });
  redis.defineCommand('presenceSweep', { numberOfKeys: 4, lua: sweepScript });
  redis.defineCommand('presenceRead', { numberOfKeys: 4, lua: readScript });
}

export class PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: PresenceKeys,
    private readonly timing: PresenceTiming,
  ) {
    definePresenceScripts(redis);
  }

  async connect(gatewayId: string, userId: string, connId: string): Promise<TouchOutcome> {
    const { ttlMs, keepConnsMs, outboxMax } = this.timing;
    const reply = await this.redis.presenceConnect(
      ...this.keys.shared,
      this.keys.prefix,
      ttlMs,
      keepConnsMs,
      outboxMax,
      gatewayId,
      userId,
      connId,
    );
    return decodeTouch(reply);
  }

  /** Returns when (Redis ms) the user's offline is due if this was their last connection, else undefined. */
  async disconnect(userId: string, connId: string): Promise<number | undefined> {
    const { graceMs, tombstoneMs } = this.timing;
    const reply = await this.redis.presenceDisconnect(
      ...this.keys.shared,
      this.keys.prefix,
      graceMs,
      tombstoneMs,
      userId,
      connId,
    );
    const due = Number(reply);
    return due > 0 ? due : undefined;
  }

  /** Applies one gateway heartbeat: `conns` as `[userId, connId]` pairs, `at` when the gateway built it. */
  async heartbeat(gatewayId: string, at: number, conns: ReadonlyArray<readonly [string, string]>): Promise<HeartbeatOutcome> {
    const { ttlMs, keepConnsMs, outboxMax } = this.timing;
    const args: Arg[] = [...this.keys.shared, this.keys.prefix, ttlMs, keepConnsMs, outboxMax, gatewayId, at];
    for (const [userId, connId] of conns) args.push(userId, connId);
    return decodeHeartbeat(await this.redis.presenceHeartbeat(...args));
  }

  /**
   * One bounded sweep step; `more` says another step has work right away. `expire` false handles only
   * due offlines, not expired connections (see catch-up.ts).
   */
  async sweep(expire = true): Promise<SweepOutcome> {
    const { ttlMs, keepUserMs, outboxMax, sweepLimit } = this.timing;
    const reply = await this.redis.presenceSweep(
      ...this.keys.shared,
      this.keys.prefix,
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

  async counts(): Promise<{ onlineUsers: number; connections: number }> {
    const [online, conns] = await Promise.all([this.redis.scard(this.keys.online), this.redis.zcard(this.keys.deadlines)]);
    return { onlineUsers: online, connections: conns };
  }
}
