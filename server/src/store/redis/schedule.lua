-- Sweep index: KEYS index; ARGV score, member, min_ttl_secs.
-- Moves the member earlier (or adds it) and keeps the index alive at least min_ttl_secs.
redis.call('ZADD', KEYS[1], 'LT', ARGV[1], ARGV[2])
local want = tonumber(ARGV[3])
if redis.call('TTL', KEYS[1]) < want then redis.call('EXPIRE', KEYS[1], want) end
return 1
