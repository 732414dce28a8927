-- Backend::apply for one namespace, atomically (a script runs alone on its node).
-- KEYS: values (hash key -> value), charges (hash key -> charge), order (zset key by sequence),
--       meta (hash: b bytes, n entries, s next sequence, r registration epoch, f fence epoch).
-- ARGV: max_bytes, max_entries, offered epoch ('' when none), then the ops in order:
--       'p', key, value, charge  |  'd', key
-- Reply: {'ok', bytes, entries} | {'limit', bytes0, entries0, bytes, entries}
--      | {'register'} (nothing changed: register the namespace, then call again with its epoch)
--      | {'overflow'} (usage would pass 2^53 - 1, the most a Lua number counts exactly)
local values, charges, order, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local max_bytes, max_entries = tonumber(ARGV[1]), tonumber(ARGV[2])
local offered = tonumber(ARGV[3])
local m = redis.call('HMGET', meta, 'b', 'n', 's', 'r', 'f')
local bytes0, entries0 = tonumber(m[1] or '0'), tonumber(m[2] or '0')
local seq = tonumber(m[3] or '0')
local registered, fence = m[4], tonumber(m[5] or '0')

-- Pass 1: the usage the ops lead to, changing nothing (Limits::refuses needs before and after).
local bytes, entries = bytes0, entries0
local pending = {}
local i = 4
while i <= #ARGV do
  local kind, key = ARGV[i], ARGV[i + 1]
  local current = pending[key]
  if current == nil then
    current = redis.call('HGET', charges, key)
    if current then current = tonumber(current) end
  end
  if current then
    bytes = bytes - current
    entries = entries - 1
  end
  if kind == 'p' then
    local charge = tonumber(ARGV[i + 3])
    bytes = bytes + charge
    entries = entries + 1
    pending[key] = charge
    i = i + 4
  else
    pending[key] = false
    i = i + 2
  end
end

if bytes > 9007199254740991 then return {'overflow'} end
if (bytes > max_bytes and bytes > bytes0) or (entries > max_entries and entries > entries0) then
  return {'limit', bytes0, entries0, bytes, entries}
end

-- A namespace that will hold entries must be in the registry first (see registry.rs).
if entries > 0 and not registered then
  if offered == nil or offered <= fence then return {'register'} end
  redis.call('HSET', meta, 'r', ARGV[3])
end

-- Pass 2: apply the ops in order.
i = 4
while i <= #ARGV do
  local kind, key = ARGV[i], ARGV[i + 1]
  if kind == 'p' then
    if redis.call('HEXISTS', values, key) == 0 then
      redis.call('ZADD', order, string.format('%.0f', seq), key)
      seq = seq + 1
    end
    redis.call('HSET', values, key, ARGV[i + 2])
    redis.call('HSET', charges, key, ARGV[i + 3])
    i = i + 4
  else
    if redis.call('HDEL', values, key) == 1 then
      redis.call('HDEL', charges, key)
      redis.call('ZREM', order, key)
    end
    i = i + 2
  end
end

if entries == 0 then
  -- Empty: no places to keep. The registration (r) and fence (f) stay.
  redis.call('DEL', values, charges, order)
  redis.call('HDEL', meta, 'b', 'n', 's')
else
  redis.call('HSET', meta, 'b', string.format('%.0f', bytes), 'n', string.format('%.0f', entries),
    's', string.format('%.0f', seq))
end
return {'ok', bytes, entries}
