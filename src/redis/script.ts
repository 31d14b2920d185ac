/**
The one Lua script behind every step of the Redis store: it runs a step's operations in order, as the
memory store does (see `StoreOp`), on the server's clock, and stops at the first operation that says so.
Each operation has one key (`KEYS[i]` for the i-th); `ARGV` holds each operation's name, then its
arguments. A ttl is whole milliseconds, and zero or less removes the key; an empty `max` is no bound.
It answers `{now, stopped, result...}`, numbers as text (`%.17g`, so that they read back exactly).
*/
export const stepScript = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local function fmt(value) return string.format('%.17g', value) end
local function finite(value) return value ~= nil and value == value and value ~= math.huge and value ~= -math.huge end
local function number(key, initial)
  local value = tonumber(redis.call('GET', key))
  if finite(value) then return value end
  return initial
end
local function put(key, value, ttl)
  if ttl <= 0 then redis.call('DEL', key) else redis.call('SET', key, value, 'PX', ttl) end
end
local results = {}
local at = 1
local stopped = '0'
local count = 0
for index, key in ipairs(KEYS) do
  local op = ARGV[at]
  local result = false
  local stop = false
  if op == 'get' then
    result = redis.call('GET', key)
    at = at + 1
  elseif op == 'set' then
    put(key, ARGV[at + 1], tonumber(ARGV[at + 2]))
    at = at + 3
  elseif op == 'setUntil' then
    local ends = math.max(tonumber(ARGV[at + 1]), number(key, 0))
    put(key, fmt(ends), math.ceil(ends - now))
    at = at + 2
  elseif op == 'init' then
    result = redis.call('GET', key)
    if not result then
      result = ARGV[at + 1]
      put(key, result, tonumber(ARGV[at + 2]))
    end
    at = at + 3
  elseif op == 'stamp' then
    result = redis.call('GET', key)
    if not result then result = fmt(now) end
    put(key, result, tonumber(ARGV[at + 1]))
    at = at + 2
  elseif op == 'add' then
    local value = number(key, tonumber(ARGV[at + 2])) + tonumber(ARGV[at + 1])
    local max = tonumber(ARGV[at + 3])
    if max ~= nil and value > max then value = max end
    result = fmt(value)
    put(key, result, tonumber(ARGV[at + 4]))
    at = at + 5
  elseif op == 'take' then
    local amount = tonumber(ARGV[at + 1])
    local value = number(key, tonumber(ARGV[at + 2]))
    if value >= amount then
      put(key, fmt(value - amount), tonumber(ARGV[at + 3]))
      result = '1'
    else
      result = '0'
    end
    at = at + 4
  elseif op == 'reserve' then
    local slot = math.max(now, number(key, now))
    put(key, fmt(slot + tonumber(ARGV[at + 1])), tonumber(ARGV[at + 2]))
    result = fmt(slot - now)
    stop = slot > now
    at = at + 3
  elseif op == 'pace' then
    local interval = tonumber(ARGV[at + 1])
    local burst = tonumber(ARGV[at + 2])
    local max = tonumber(ARGV[at + 3])
    local ttl = tonumber(ARGV[at + 4])
    local text = redis.call('GET', key)
    local level, moment
    if text then
      local l, m = string.match(text, '^([^@]*)@([^@]*)')
      level = tonumber(l)
      moment = tonumber(m)
    end
    if not finite(level) or not finite(moment) then
      level = burst
      moment = now + interval
    else
      level = math.max(level, math.min(max, level + math.max(0, now - moment) / interval))
    end
    if level < 1 then
      result = fmt(math.max(moment - now, 0) + (1 - level) * interval)
      stop = true
    else
      put(key, fmt(level - 1) .. '@' .. fmt(math.max(moment, now)), ttl)
      result = '0'
    end
    at = at + 5
  elseif op == 'absent' then
    result = redis.call('GET', key)
    stop = result ~= false
    at = at + 1
  elseif op == 'expect' then
    result = redis.call('GET', key)
    local want = false
    if ARGV[at + 1] == '1' then want = ARGV[at + 2] end
    stop = result ~= want
    at = at + 3
  else
    return redis.error_reply('knouds-retry: unknown operation ' .. tostring(op))
  end
  results[index] = result
  count = index
  if stop then
    stopped = '1'
    break
  end
end
local answer = {fmt(now), stopped}
for index = 1, count do answer[index + 2] = results[index] end
return answer
`;
