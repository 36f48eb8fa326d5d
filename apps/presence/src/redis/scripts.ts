/**
 * The Lua scripts that decide presence transitions. Each runs atomically inside Redis, so when
 * several presence replicas handle events and sweep at once, exactly one of them sees a given
 * transition, and it is recorded in the outbox stream in the same step (see outbox.ts).
 *
 * Liveness is tracked per gateway, not per connection: a heartbeat refreshes one TTL key and one
 * sorted-set score for its gateway, and checks the connections it lists against what is known with
 * a few multi-field reads, so a steady beat costs O(1) commands whatever the number of users. When a
 * gateway stops beating, the sweep takes its connections away in bounded steps.
 *
 * Time is Redis `TIME`, one clock for every replica. Keys (keys.ts): KEYS are the shared
 * structures, per-gateway, per-user and per-connection keys are built from the prefix in ARGV[1];
 * every key carries the same hash tag, so in a Redis Cluster they all live in one slot.
 *
 *   gateways      zset    gatewayId → ms when it is dead unless it beats again (reliable expiry, survives restarts)
 *   gw:<g>        string  with TTL: the gateway is alive while it exists (the truth the sweep checks)
 *   gwconns:<g>   hash    "<userId> <connId>" → when the connection opened (ms, the gateway's clock)
 *   conns:<u>     hash    connId → gatewayId: the user's open connections (devices)
 *   grace         zset    userId → ms when a pending offline becomes due (a reconnect before then cancels it)
 *   online        set     users whose status is online (including those in their grace period)
 *   outbox        stream  transitions to publish: u, s (online|offline), ts, v
 *   user:<u>      hash    ls (last seen, ms), v (version: +1 per transition); expires a while after offline
 *   gone:<c>      string  with TTL, set when a connection closes: a late connect or heartbeat naming it is
 *                         ignored, so events may be applied in any order (competing consumers)
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

-- A connection opened (or a heartbeat lists one not known yet). Returns 0 known already, 1 added,
-- 2 ignored (it closed already), 3 added and the user went online.
local function open(u, c, gw, at, outboxMax)
  if redis.call('EXISTS', P .. 'gone:' .. c) == 1 then return 2 end
  redis.call('HSET', P .. 'gwconns:' .. gw, u .. ' ' .. c, at)
  local ck = P .. 'conns:' .. u
  if redis.call('HSET', ck, c, gw) == 0 then return 0 end
  local uk = P .. 'user:' .. u
  redis.call('HSET', uk, 'ls', now)
  redis.call('PERSIST', uk)
  if redis.call('HLEN', ck) == 1 and redis.call('ZREM', G, u) == 0 and redis.call('SADD', O, u) == 1 then
    emit(u, 'online', outboxMax)
    return 3
  end
  return 1
end

-- A connection is gone. If it was the user's last, their offline is due at \`due\`; returns that, or 0.
local function close(u, c, gw, due, seen)
  redis.call('HDEL', P .. 'gwconns:' .. gw, u .. ' ' .. c)
  local ck = P .. 'conns:' .. u
  if redis.call('HDEL', ck, c) == 0 then return 0 end
  local uk = P .. 'user:' .. u
  if seen > tonumber(redis.call('HGET', uk, 'ls') or '0') then redis.call('HSET', uk, 'ls', seen) end
  if redis.call('HLEN', ck) == 0 and redis.call('SISMEMBER', O, u) == 1 then
    redis.call('ZADD', G, due, u)
    return due
  end
  return 0
end

local function split(m)
  local sp = string.find(m, ' ', 1, true)
  return string.sub(m, 1, sp - 1), string.sub(m, sp + 1)
end
`;

/**
 * KEYS D G O X; ARGV P ttlMs outboxMax gatewayId userId connId at → open() result. A gateway seen
 * for the first time gets a deadline, so its connections expire if it never beats.
 */
export const connectScript = `${preamble}
local gw, ttlMs = ARGV[4], tonumber(ARGV[2])
if redis.call('ZADD', D, 'NX', now + ttlMs, gw) == 1 then redis.call('SET', P .. 'gw:' .. gw, '1', 'PX', ttlMs) end
return open(ARGV[5], ARGV[6], gw, ARGV[7], tonumber(ARGV[3]))
`;

/**
 * KEYS D G O X; ARGV P ttlMs outboxMax tombstoneMs graceMs gatewayId at conns partial, where `conns`
 * is "<userId> <connId>" lines → {stale, known, added, ignored, wentOnline, removed}.
 * A beat older than the TTL (it waited in the queue while presence was down) is dropped: applying it
 * would keep a dead gateway alive. Connections a complete beat (\`partial\` = 0) no longer lists
 * although they opened before it was built lost their disconnect event: they are closed as if it had
 * arrived.
 */
export const heartbeatScript = `${preamble}
local ttlMs, outboxMax, tombstoneMs, graceMs = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local gw, at = ARGV[6], tonumber(ARGV[7])
if now - at > ttlMs then return {1, 0, 0, 0, 0, 0} end
redis.call('SET', P .. 'gw:' .. gw, '1', 'PX', ttlMs)
redis.call('ZADD', D, now + ttlMs, gw)
local gk = P .. 'gwconns:' .. gw
local listed = {}
for m in string.gmatch(ARGV[8], '[^\\n]+') do listed[#listed + 1] = m end
local out = {0, 0, 0, 0, 0, 0}
local CHUNK = 1000
for i = 1, #listed, CHUNK do
  local j = math.min(i + CHUNK - 1, #listed)
  local known = redis.call('HMGET', gk, unpack(listed, i, j))
  for k = 1, j - i + 1 do
    if known[k] then
      out[2] = out[2] + 1
    else
      local u, c = split(listed[i + k - 1])
      local r = open(u, c, gw, at, outboxMax)
      if r == 2 then out[4] = out[4] + 1 elseif r == 0 then out[2] = out[2] + 1 else out[3] = out[3] + 1 end
      if r == 3 then out[5] = out[5] + 1 end
    end
  end
end
if ARGV[9] ~= '1' and redis.call('HLEN', gk) > out[2] + out[3] then
  local set = {}
  for _, m in ipairs(listed) do set[m] = true end
  local all = redis.call('HGETALL', gk)
  for i = 1, #all, 2 do
    if not set[all[i]] and tonumber(all[i + 1]) < at then
      local u, c = split(all[i])
      redis.call('SET', P .. 'gone:' .. c, '1', 'PX', tombstoneMs)
      close(u, c, gw, now + graceMs, now)
      out[6] = out[6] + 1
    end
  end
end
return out
`;

/**
 * KEYS D G O X; ARGV P graceMs tombstoneMs gatewayId userId connId → the ms at which the user's
 * offline is due (their last connection closed), or 0.
 */
export const disconnectScript = `${preamble}
local c = ARGV[6]
redis.call('SET', P .. 'gone:' .. c, '1', 'PX', tonumber(ARGV[3]))
return close(ARGV[5], c, ARGV[4], now + tonumber(ARGV[2]), now)
`;

/**
 * KEYS D G O X; ARGV P ttlMs keepUserMs outboxMax limit expire → {more, offline, lagMs…}.
 * With \`expire\` = 1, gateways past their deadline whose TTL key is gone are dead: up to \`limit\` of
 * their connections are closed (a user left without any is due for offline at once), the gateway is
 * forgotten once it has none. Then due users go offline. \`lagMs\` is how late each item was handled.
 */
export const sweepScript = `${preamble}
local ttlMs, keepUserMs, outboxMax, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out = {0, 0}
local budget = limit
if ARGV[6] == '1' then
  local dead = redis.call('ZRANGEBYSCORE', D, '-inf', now, 'WITHSCORES', 'LIMIT', 0, 10)
  for i = 1, #dead, 2 do
    local gw, deadline = dead[i], tonumber(dead[i + 1])
    local ttl = redis.call('PTTL', P .. 'gw:' .. gw)
    if ttl > 0 then
      redis.call('ZADD', D, now + ttl, gw)
    else
      local gk = P .. 'gwconns:' .. gw
      local cursor = '0'
      repeat
        local page = redis.call('HSCAN', gk, cursor, 'COUNT', budget)
        cursor = page[1]
        for k = 1, #page[2], 2 do
          local u, c = split(page[2][k])
          close(u, c, gw, now, deadline - ttlMs)
          budget = budget - 1
        end
      until cursor == '0' or budget <= 0
      if redis.call('EXISTS', gk) == 0 then
        redis.call('ZREM', D, gw)
        out[#out + 1] = now - deadline
      else
        out[1] = 1
        break
      end
    end
  end
  if #dead == 20 then out[1] = 1 end
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
if #due == 2 * limit then out[1] = 1 end
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

/** KEYS D G O X; ARGV P → {online users, open connections, live gateways} */
export const countsScript = `${preamble}
local gws = redis.call('ZRANGE', D, 0, -1)
local conns = 0
for _, gw in ipairs(gws) do conns = conns + redis.call('HLEN', P .. 'gwconns:' .. gw) end
return {redis.call('SCARD', O), conns, #gws}
`;
