/**
 * The Redis state that decides whether an engagement counts: one view per user, post and hour; chat
 * messages deduplicated by the room's sequence (redeliveries carry a seq already seen) and capped per
 * room and clock hour; one `room.created` per room.
 */
import type { Redis, Result } from 'ioredis';
import type { FeedKeys } from './keys.js';

/** KEYS: room seq high-water mark, room cap counter; ARGV: seq, cap, cap ttl ms, seq ttl ms. */
const CHAT_LUA = `
local hwm = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) <= hwm then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
if n > tonumber(ARGV[2]) then return 1 end
return 2`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    feedChatGuard(
      seqKey: string,
      capKey: string,
      seq: number,
      cap: number,
      capTtlMs: number,
      seqTtlMs: number,
    ): Result<number, Context>;
  }
}

const HOUR = 3_600_000;
/** Long enough to outlast any redelivery of a room's messages. */
const ROOM_MEMORY_MS = 7 * 24 * HOUR;

export type ChatVerdict = 'duplicate' | 'capped' | 'counted';

export interface EngagementGuards {
  /** true the first time `userId` views `postId` in an hour (the hour starts at that view) */
  firstViewThisHour(postId: string, userId: string): Promise<boolean>;
  chatMessage(roomId: string, seq: number, at: number, capPerHour: number): Promise<ChatVerdict>;
  /** true the first time a room is announced */
  firstRoomCreated(roomId: string): Promise<boolean>;
}

export function redisEngagementGuards(redis: Redis, keys: FeedKeys): EngagementGuards {
  if (!redis.feedChatGuard) redis.defineCommand('feedChatGuard', { numberOfKeys: 2, lua: CHAT_LUA });
  return {
    async firstViewThisHour(postId, userId) {
      return (await redis.set(keys.view(postId, userId), '1', 'PX', HOUR, 'NX')) === 'OK';
    },
    async chatMessage(roomId, seq, at, capPerHour) {
      const hour = Math.floor(at / HOUR) * HOUR;
      const verdict = await redis.feedChatGuard(
        keys.roomSeq(roomId),
        keys.roomCap(roomId, hour),
        seq,
        capPerHour,
        2 * HOUR,
        ROOM_MEMORY_MS,
      );
      return verdict === 0 ? 'duplicate' : verdict === 1 ? 'capped' : 'counted';
    },
    async firstRoomCreated(roomId) {
      return (await redis.set(keys.roomCreated(roomId), '1', 'PX', ROOM_MEMORY_MS, 'NX')) === 'OK';
    },
  };
}
