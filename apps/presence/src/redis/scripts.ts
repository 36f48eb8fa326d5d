/**
 * The Lua scripts that decide presence transitions. Each runs atomically inside Redis, so when
 * several presence replicas handle events and sweep at once, exactly one of them sees a given
 * transition, and it is recorded in the outbox stream in the same step (see outbox.ts).
 *
 * Time is Redis `TIME`, one clock for every replica. Keys (keys.ts): KEYS are the shared
 * structures, per-user and per-connection keys are built from the prefix in ARGV[1]; every key
 * carries the same hash tag, so in a Redis Cluster they all live in one slot.
 *
 *   deadlines  zset  "<userId> <connId>" → ms when the connection expires unless a heartbeat refreshes it
 *   grace      zset  userId → ms when a pending offline becomes due (a reconnect before then cancels it)
 *   online     set   users whose status is online (including those in their grace period)
 *   outbox     stream of transitions to publish: u, s (online|offline), ts, v
 *   conns:<u>  hash  connId → gatewayId; its TTL is a safety net if the sorted set were ever lost
 *   user:<u>   hash  ls (last seen, ms), v (version: +1 per transition); kept for a while after offline
 *   gone:<c>   string with TTL, set by a disconnect: a late connect/heartbeat of that connection is ignored,
 *                    so connection events and heartbeats may be applied in any order (competing consumers)
 */

const preamble = `
local P = ARGV[1]
local D, G, O, X = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function emit(u, status, outboxMax)
  local v = redis.call('HINCRBY', P .. 'user:' .. u, 'v', 1)
  redis.call('XADD', X, 'MAXLEN', '~', outboxMax, '*', 'u', u, 's', status, 'ts', now, 'v', v)
end

-- Adds or refreshes one connection. Returns 0 refreshed, 1 added, 2 ignored (disconnected already), 3 added and
-- the user went online.
local function touch(u, c, gw, deadline, keepConnsMs, outboxMax)
  local m = u .. ' ' .. c
  local ck = P .. 'conns:' .. u
  if redis.call('ZADD', D, deadline, m) == 0 then
    redis.call('HSET', ck, c, gw)
    redis.call('PEXPIRE', ck, keepConnsMs)
    return 0
  end
  if redis.call('EXISTS', P .. 'gone:' .. c) == 1 then
    redis.call('ZREM', D, m)
    return 2
  end
  redis.call('HSET', ck, c, gw)
  redis.call('PEXPIRE', ck, keepConnsMs)
  local uk = P .. 'user:' .. u
  redis.call('HSET', uk, 'ls', now)
  redis.call('PERSIST', uk)
  if redis.call('HLEN', ck) == 1 and redis.call('ZREM', G, u) == 0 and redis.call('SADD', O, u) == 1 then
    emit(u, 'online', outboxMax)
    return 3
  end
  return 1
end
`;

/** KEYS D G O X; ARGV P ttlMs keepConnsMs outboxMax gatewayId userId connId → touch() result */
export const connectScript = `${preamble}
return touch(ARGV[6], ARGV[7], ARGV[5], now + tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

/**
 * KEYS D G O X; ARGV P ttlMs keepConnsMs outboxMax gatewayId at userId1 connId1 userId2 connId2 …
 * → {stale, refreshed, added, ignored, wentOnline}. A beat older than the TTL (it waited in the queue
 * while presence was down) is dropped: applying it would keep a dead gateway's users online.
 */
export const heartbeatScript = `${preamble}
local ttlMs, keepConnsMs, outboxMax, gw = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
if now - tonumber(ARGV[6]) > ttlMs then return {1, 0, 0, 0, 0} end
local deadline = now + ttlMs
local counts = {0, 0, 0, 0}
for i = 7, #ARGV, 2 do
  local r = touch(ARGV[i], ARGV[i + 1], gw, deadline, keepConnsMs, outboxMax)
  if r == 3 then counts[2] = counts[2] + 1; counts[4] = counts[4] + 1 else counts[r + 1] = counts[r + 1] + 1 end
end
return {0, counts[1], counts[2], counts[3], counts[4]}
`;

/**
 * KEYS D G O X; ARGV P graceMs tombstoneMs userId connId → the ms at which the user's offline is due
 * (their last connection closed), or 0.
 */
export const disconnectScript = `${preamble}
local u, c = ARGV[4], ARGV[5]
redis.call('SET', P .. 'gone:' .. c, '1', 'PX', tonumber(ARGV[3]))
if redis.call('ZREM', D, u .. ' ' .. c) == 0 then return 0 end
local ck = P .. 'conns:' .. u
redis.call('HDEL', ck, c)
redis.call('HSET', P .. 'user:' .. u, 'ls', now)
if redis.call('HLEN', ck) == 0 and redis.call('SISMEMBER', O, u) == 1 then
  local due = now + tonumber(ARGV[2])
  redis.call('ZADD', G, due, u)
  return due
end
return 0
`;

/**
 * KEYS D G O X; ARGV P ttlMs keepUserMs outboxMax limit expire → {more, offline, lagMs…}.
 * With `expire` = 1, expired connections (their gateway stopped beating) are removed; a user left
 * without any is due for offline at once. Then due users go offline. `lagMs` is how late each item
 * was handled.
 */
export const sweepScript = `${preamble}
local ttlMs, keepUserMs, outboxMax, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out = {0, 0}
local expired = {}
if ARGV[6] == '1' then expired = redis.call('ZRANGEBYSCORE', D, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit) end
for i = 1, #expired, 2 do
  local m, deadline = expired[i], tonumber(expired[i + 1])
  local sp = string.find(m, ' ', 1, true)
  local u, c = string.sub(m, 1, sp - 1), string.sub(m, sp + 1)
  redis.call('ZREM', D, m)
  local ck, uk = P .. 'conns:' .. u, P .. 'user:' .. u
  redis.call('HDEL', ck, c)
  local seen = deadline - ttlMs
  if seen > tonumber(redis.call('HGET', uk, 'ls') or '0') then redis.call('HSET', uk, 'ls', seen) end
  if redis.call('HLEN', ck) == 0 and redis.call('SISMEMBER', O, u) == 1 then redis.call('ZADD', G, now, u) end
  out[#out + 1] = now - deadline
end
local due = redis.call('ZRANGEBYSCORE', G, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
for i = 1, #due, 2 do
  local u = due[i]
  redis.call('ZREM', G, u)
  if redis.call('HLEN', P .. 'conns:' .. u) == 0 and redis.call('SREM', O, u) == 1 then
    emit(u, 'offline', outboxMax)
    redis.call('PEXPIRE', P .. 'user:' .. u, keepUserMs)
    out[2] = out[2] + 1
  end
  out[#out + 1] = now - tonumber(due[i + 1])
end
if #expired == 2 * limit or #due == 2 * limit then out[1] = 1 end
return out
`;

/** KEYS D G O X; ARGV P userId… → {now, online1, lastSeen1, version1, …} (false when unknown) */
export const readScript = `${preamble}
local out = {now}
for i = 2, #ARGV do
  local u = ARGV[i]
  local h = redis.call('HMGET', P .. 'user:' .. u, 'ls', 'v')
  out[#out + 1] = redis.call('SISMEMBER', O, u)
  out[#out + 1] = h[1]
  out[#out + 1] = h[2]
end
return out
`;
