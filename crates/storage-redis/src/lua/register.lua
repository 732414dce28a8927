-- Registers a namespace under a fresh epoch, greater than every epoch handed out before.
-- KEYS: registry (hash namespace -> epoch), epoch counter.  ARGV: namespace.  Reply: the epoch.
local epoch = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', epoch))
return epoch
