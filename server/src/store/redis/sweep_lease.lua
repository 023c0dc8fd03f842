-- Sweep index: KEYS index; ARGV now, lease_until, limit.
-- Takes up to `limit` due members and hides them until lease_until, so that of
-- several instances sweeping at once only one works on each share.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
