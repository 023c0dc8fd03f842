-- Sweep index: KEYS index; ARGV now, extra_secs.
-- Keeps the index alive until its latest member's time plus extra_secs (it only grows).
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] then
  local want = math.max(tonumber(top[2]) - tonumber(ARGV[1]), 0) + tonumber(ARGV[2])
  if redis.call('TTL', KEYS[1]) < want then redis.call('EXPIRE', KEYS[1], math.floor(want)) end
end
return 1
