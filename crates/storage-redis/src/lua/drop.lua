-- Backend::drop_namespace: everything goes but the fence, raised to the registry epoch the caller
-- read (ARGV[1], '0' when none), so that a writer still holding that epoch registers anew.
-- KEYS: values, charges, order, meta.
local fence = math.max(tonumber(redis.call('HGET', KEYS[4], 'f') or '0'), tonumber(ARGV[1]))
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
if fence > 0 then redis.call('HSET', KEYS[4], 'f', string.format('%.0f', fence)) end
return 1
