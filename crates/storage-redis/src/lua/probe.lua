-- Backend::namespaces, per registered namespace: its usage when it holds entries; otherwise
-- retire the registry epoch the caller read (ARGV[1]) so the caller may remove that entry.
-- KEYS: meta.  Reply: {'live', bytes, entries} | {'empty'}
local m = redis.call('HMGET', KEYS[1], 'b', 'n', 'f')
if tonumber(m[2] or '0') > 0 then return {'live', m[1], m[2]} end
local seen = tonumber(ARGV[1])
if seen > tonumber(m[3] or '0') then redis.call('HSET', KEYS[1], 'f', ARGV[1]) end
redis.call('HDEL', KEYS[1], 'r')
return {'empty'}
