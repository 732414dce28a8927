-- Removes registry entries whose namespace was found empty, each only if it still holds the epoch
-- that was retired (a newer registration stays).
-- KEYS: registry.  ARGV: namespace, epoch, namespace, epoch...  Reply: how many were removed.
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return removed
