-- Backend::list: usage and keys in insertion order, read at one instant.
-- KEYS: order, meta.  Reply: {bytes, entries, {key...}}
local m = redis.call('HMGET', KEYS[2], 'b', 'n')
return {m[1] or '0', m[2] or '0', redis.call('ZRANGE', KEYS[1], 0, -1)}
