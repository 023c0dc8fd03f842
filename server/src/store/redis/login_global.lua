-- Wrong console passwords from all addresses in the last minute (one sorted set).
-- KEYS[1]: the set; ARGV: step ('check' | 'wrong'), now (Unix s), the limit a minute,
-- a unique member for a wrong password. Returns the seconds until a try is checked
-- again (0: now).
local step, now, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60)
if step == 'wrong' then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], 120)
  return 0
end
if redis.call('ZCARD', KEYS[1]) < limit then return 0 end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(tonumber(oldest[2]) + 60 - now, 1)
