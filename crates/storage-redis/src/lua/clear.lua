-- Backend::clear: every entry and place goes; the registration (r) and fence (f) stay.
-- KEYS: values, charges, order, meta.
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HDEL', KEYS[4], 'b', 'n', 's')
return 1
