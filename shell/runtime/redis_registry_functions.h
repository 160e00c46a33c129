// The Redis side of the shared rendezvous registry: one Lua library of Redis 7
// functions (FUNCTION LOAD), loaded by every front-end when it connects, so each
// request is one atomic FCALL whatever the other front-ends do meanwhile.
//
// Layout (prefix p2pchat:rdv:; docs/rendezvous.md "Registry backends"):
//   exp       sorted set  registration key -> expiry (ms, Redis' clock), pruned on
//                         every call: entries with expiry < now are removed everywhere
//   all       sorted set  key -> sequence number (the listing order of DISCOVER)
//   o:<ns>    sorted set  key -> sequence, the keys of one namespace
//   r         hash        key -> "port ttl expiry"
//   ipn:<ip>  string      live registrations of that source IP (peer_not_registered)
//   seq       string      the last sequence number
//   rl:<ip>   string      connections in the current rate window (INCR, PEXPIRE)
//   blk:<ip>  string      present while the IP is blocked (PX)
// A key is char(#ip) ip char(#ns) ns name, as core/registry.cpp keys them.
#pragma once

namespace p2p::shell {

inline constexpr const char* kRedisRegistryLibrary = R"lua(#!lua name=p2pchat_rdv
local P = 'p2pchat:rdv:'

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function split(k)
  local il = string.byte(k, 1)
  local ip = string.sub(k, 2, 1 + il)
  local nl = string.byte(k, 2 + il)
  return ip, string.sub(k, 3 + il, 2 + il + nl)
end

local function drop(k)
  local ip, ns = split(k)
  redis.call('ZREM', P .. 'exp', k)
  redis.call('ZREM', P .. 'all', k)
  redis.call('ZREM', P .. 'o:' .. ns, k)
  redis.call('HDEL', P .. 'r', k)
  if redis.call('DECR', P .. 'ipn:' .. ip) <= 0 then redis.call('DEL', P .. 'ipn:' .. ip) end
end

-- Registrations live until now > expiry; at most 512 are removed per call, so one
-- call stays short after a mass expiry (the next calls remove the rest).
local function prune(now)
  local gone = redis.call('ZRANGEBYSCORE', P .. 'exp', '-inf', '(' .. now, 'LIMIT', 0, 512)
  for _, k in ipairs(gone) do drop(k) end
end

local function registered(ip)
  return redis.call('EXISTS', P .. 'ipn:' .. ip) == 1
end

-- ip limit window_ms block_ms -> {0} admit, {1} the connection that crosses the limit,
-- {2, ms_left} blocked
local function admit(keys, args)
  local rl, blk = P .. 'rl:' .. args[1], P .. 'blk:' .. args[1]
  local left = redis.call('PTTL', blk)
  if left > 0 then return {2, left} end
  local n = redis.call('INCR', rl)
  if n == 1 then redis.call('PEXPIRE', rl, args[3]) end
  if n > tonumber(args[2]) then
    redis.call('SET', blk, '1', 'PX', args[4])
    redis.call('DEL', rl)
    return {1, 0}
  end
  return {0, 0}
end

-- ip ns name port ttl max -> {1 or 0 (full), live registrations}
local function register(keys, args)
  local ip, ns, name, ttl = args[1], args[2], args[3], tonumber(args[5])
  local now = now_ms()
  prune(now)
  local k = string.char(#ip) .. ip .. string.char(#ns) .. ns .. name
  local new = not redis.call('ZSCORE', P .. 'exp', k)
  local count = redis.call('ZCARD', P .. 'exp')
  if new and count >= tonumber(args[6]) then return {0, count} end
  local seq = redis.call('INCR', P .. 'seq')
  local expiry = now + ttl * 1000
  redis.call('ZADD', P .. 'exp', expiry, k)
  redis.call('ZADD', P .. 'all', seq, k)
  redis.call('ZADD', P .. 'o:' .. ns, seq, k)
  redis.call('HSET', P .. 'r', k, args[4] .. ' ' .. ttl .. ' ' .. expiry)
  if new then
    redis.call('INCR', P .. 'ipn:' .. ip)
    count = count + 1
  end
  return {1, count}
end

-- ip mode(check|all|ns) [ns] -> {live registrations, now, ip registered (0/1),
-- key1, "port ttl expiry", ...} in registration order (check: no entries)
local function discover(keys, args)
  local now = now_ms()
  prune(now)
  local out = {redis.call('ZCARD', P .. 'exp'), now, 0}
  if not registered(args[1]) then return out end
  out[3] = 1
  if args[2] == 'check' then return out end
  local list
  if args[2] == 'all' then
    list = redis.call('ZRANGE', P .. 'all', 0, -1)
  else
    list = redis.call('ZRANGE', P .. 'o:' .. args[3], 0, -1)
  end
  for i = 1, #list, 256 do
    local chunk = {unpack(list, i, math.min(i + 255, #list))}
    local values = redis.call('HMGET', P .. 'r', unpack(chunk))
    for j = 1, #chunk do
      out[#out + 1] = chunk[j]
      out[#out + 1] = values[j] or ''
    end
  end
  return out
end

-- ip ns name any_name(0/1) port(0: any) -> registrations removed, -1 if the IP has none
local function unregister(keys, args)
  local ip, ns = args[1], args[2]
  prune(now_ms())
  if not registered(ip) then return -1 end
  local candidates
  if args[4] == '1' then
    candidates = redis.call('ZRANGE', P .. 'o:' .. ns, 0, -1)
  else
    candidates = {string.char(#ip) .. ip .. string.char(#ns) .. ns .. args[3]}
  end
  local removed = 0
  for _, k in ipairs(candidates) do
    local v = redis.call('HGET', P .. 'r', k)
    if v and split(k) == ip and (args[5] == '0' or string.match(v, '^%d+') == args[5]) then
      drop(k)
      removed = removed + 1
    end
  end
  return removed
end

redis.register_function('p2pchat_rdv_admit', admit)
redis.register_function('p2pchat_rdv_register', register)
redis.register_function('p2pchat_rdv_discover', discover)
redis.register_function('p2pchat_rdv_unregister', unregister)
)lua";

}  // namespace p2p::shell
